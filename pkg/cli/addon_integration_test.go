package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
