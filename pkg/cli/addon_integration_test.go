package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"velad.io/velad/pkg/addon/addontest"
	"velad.io/velad/pkg/application"
)

// The addon commands against a cluster without a controller: --no-wait enables, and
// Applications are written directly.
func TestIntegrationAddonCommands(t *testing.T) {
	c := appClient(t)
	ctx := context.Background()
	createNamespace(t, c, "vela-system")
	contains(t, mustVela(t, "addon", "registry", "list"), "velad", "embedded", "(built in)")
	contains(t, mustVela(t, "addon", "list"), "NAME", "velad-hello", "velad-ownership", "[1.0.0]", "disabled")

	out := mustVela(t, "addon", "enable", "velad-ownership", "--no-wait", `teams={"payments":"pay@example.com"}`)
	contains(t, out, "Enabling addon velad-ownership", "TraitDefinition ownership", "Addon velad-ownership enabled")
	contains(t, mustVela(t, "addon", "status", "velad-ownership"), "enabled", "TraitDefinition/ownership", `"teams":{"payments":"pay@example.com"}`)
	contains(t, mustVela(t, "addon", "list", "-o", "json"), `"status": "enabled"`, `"enabledVersion": "1.0.0"`)

	objs, err := application.DecodeManifests("owned.yaml", []byte(`apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: cli-owned, namespace: default}
spec:
  components:
    - {name: api, type: webservice, properties: {image: api}, traits: [{type: ownership, properties: {team: a}}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := application.Apply(ctx, c, objs, application.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	out, err = velaRun(t, "", "addon", "disable", "velad-ownership")
	if err == nil || !strings.Contains(err.Error(), "application default/cli-owned uses trait ownership") {
		t.Fatalf("disable while in use: %v\n%s", err, out)
	}
	contains(t, mustVela(t, "addon", "disable", "velad-ownership", "--force"), "Addon velad-ownership disabled")
	contains(t, mustVela(t, "addon", "status", "velad-ownership"), "disabled")
	_ = c.Delete(ctx, objs[0])

	if _, err := velaRun(t, "", "addon", "enable", "no-such-addon"); err == nil || !strings.Contains(err.Error(), "available addons: ") || !strings.Contains(err.Error(), "velad-hello, velad-ownership") {
		t.Errorf("unknown addon: %v", err)
	}

	dir := filepath.Join(t.TempDir(), "cli-local")
	if err := os.MkdirAll(filepath.Join(dir, "resources"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"metadata.yaml":       "name: cli-local\nversion: 0.0.1\ndescription: from a directory\n",
		"resources/cm.yaml":   "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cli-local}\n",
		"resources/notes.txt": "ignored",
	}
	for p, content := range files {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	contains(t, mustVela(t, "addon", "enable", dir, "--no-wait", "--clusters", "local"), "Addon cli-local enabled")
	contains(t, mustVela(t, "addon", "list"), "cli-local", "local", "enabled")
	contains(t, mustVela(t, "addon", "status", "cli-local"), "clusters:    local")
	contains(t, mustVela(t, "addon", "disable", "cli-local"), "Addon cli-local disabled")

	parent := filepath.Dir(dir)
	contains(t, mustVela(t, "addon", "registry", "add", "cli-dir", parent), "Registry cli-dir added")
	contains(t, mustVela(t, "addon", "registry", "list"), "cli-dir", "directory", parent)
	contains(t, mustVela(t, "addon", "list"), "cli-local", "cli-dir", "from a directory", "disabled")
	contains(t, mustVela(t, "addon", "registry", "delete", "cli-dir"), "Registry cli-dir deleted")
}

// init, package, a helm-type registry served over HTTP behind basic auth, enable from it
// by --registry/--version, upgrade keeping parameters; the password is never printed.
func TestIntegrationAddonRemoteCommands(t *testing.T) {
	c := appClient(t)
	createNamespace(t, c, "vela-system")
	work, repo := t.TempDir(), t.TempDir()
	contains(t, mustVela(t, "addon", "init", "cli-remote", "--path", work), "Addon cli-remote created", "vela addon enable")
	dir := filepath.Join(work, "cli-remote")
	contains(t, mustVela(t, "addon", "package", dir, "-o", repo), "cli-remote-1.0.0.tgz")
	meta := filepath.Join(dir, "metadata.yaml")
	data, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(meta, []byte(strings.Replace(string(data), "version: 1.0.0", "version: 1.1.0", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	contains(t, mustVela(t, "addon", "package", dir, "-o", repo, "--index"), "cli-remote-1.1.0.tgz", "index.yaml")
	url := addontest.ServeHelmRegistry(t, repo, "me", "pa55word")

	out, err := velaRun(t, "", "addon", "registry", "add", "cli-helm", "--type", "helm", "--endpoint", url, "--username", "me", "--password", "nope")
	if err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error()+out, "nope") {
		t.Fatalf("wrong password: %v\n%s", err, out)
	}
	contains(t, mustVela(t, "addon", "registry", "add", "cli-helm", "--type", "helm", "--endpoint", url, "--username", "me", "--password", "pa55word"), "Registry cli-helm added")
	defer velaRun(t, "", "addon", "registry", "delete", "cli-helm") //nolint:errcheck
	for _, out := range []string{mustVela(t, "addon", "registry", "list"), mustVela(t, "addon", "registry", "list", "-o", "json")} {
		contains(t, out, "cli-helm", "helm", url)
		if strings.Contains(out, "pa55word") {
			t.Errorf("registry list prints the password:\n%s", out)
		}
	}
	contains(t, mustVela(t, "addon", "list"), "cli-remote", "cli-helm", "[1.1.0, 1.0.0]")
	contains(t, mustVela(t, "addon", "enable", "cli-remote", "--registry", "cli-helm", "--version", "1.0.0", "--no-wait", "message=kept"), "Addon cli-remote enabled (version 1.0.0)")
	contains(t, mustVela(t, "addon", "upgrade", "cli-remote", "--no-wait", "namespace=vela-system"), "Upgrading addon cli-remote from 1.0.0 to 1.1.0", "Addon cli-remote enabled (version 1.1.0)")
	contains(t, mustVela(t, "addon", "status", "cli-remote"), "version:     1.1.0", "registry:    cli-helm", `"message":"kept"`, `"namespace":"vela-system"`)
	if _, err := velaRun(t, "", "addon", "upgrade", "velad-hello"); err == nil || !strings.Contains(err.Error(), "not enabled") {
		t.Errorf("upgrading a disabled addon: %v", err)
	}
	contains(t, mustVela(t, "addon", "registry", "update", "cli-helm", "--endpoint", url+"/"), "Registry cli-helm updated")
	contains(t, mustVela(t, "addon", "disable", "cli-remote"), "Addon cli-remote disabled")
}
