package addon_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/repo"

	"velad.io/velad/pkg/addon"
	"velad.io/velad/pkg/addon/addontest"
)

// remoteAddon writes version of the addon "it-remote" into dir/it-remote: a CUE template
// whose ConfigMap records the version and the greeting parameter.
func remoteAddon(t *testing.T, dir, version string) string {
	t.Helper()
	_ = os.RemoveAll(filepath.Join(dir, "it-remote"))
	return writeAddon(t, dir, "it-remote", map[string]string{
		"metadata.yaml": fmt.Sprintf("name: it-remote\nversion: %s\ndescription: served remotely\n", version),
		"parameter.cue": "parameter: {\n\tgreeting: *\"hello\" | string\n\tcolour: *\"blue\" | string\n}\n",
		"template.cue": `package main
output: {
	apiVersion: "core.oam.dev/v1beta1"
	kind:       "Application"
	spec: components: [config]
}
`,
		"resources/config.cue": `package main
config: {
	name: "it-remote-config"
	type: "k8s-objects"
	properties: objects: [{
		apiVersion: "v1"
		kind:       "ConfigMap"
		metadata: name: "it-remote-config"
		data: {version: context.metadata.version, greeting: parameter.greeting, colour: parameter.colour}
	}]
}
`,
	})
}

// helmRepo packages each version of it-remote with addon.Package into a directory with an
// index from addon.WriteIndex, served over HTTP as a helm-type registry behind basic auth.
func helmRepo(t *testing.T, versions ...string) (url string) {
	t.Helper()
	src, repo := t.TempDir(), t.TempDir()
	for _, v := range versions {
		out, err := addon.Package(remoteAddon(t, src, v), repo)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(out) != "it-remote-"+v+".tgz" {
			t.Fatalf("package name %s", out)
		}
	}
	if err := addon.WriteIndex(repo); err != nil {
		t.Fatal(err)
	}
	return addontest.ServeHelmRegistry(t, repo, "reader", "s3cret-pw")
}

// gitRepo makes a bare repository (file:// URL) whose addons/ directory holds it-remote at
// version, and returns its URL and a function publishing another version.
func gitRepo(t *testing.T, version string) (string, func(version string)) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs the git command")
	}
	bare, work := filepath.Join(t.TempDir(), "catalog.git"), t.TempDir()
	git := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("", "init", "--quiet", "--bare", "-b", "main", bare)
	git(work, "init", "--quiet", "-b", "main")
	publish := func(v string) {
		remoteAddon(t, filepath.Join(work, "addons"), v)
		git(work, "add", "-A")
		git(work, "commit", "--quiet", "-m", "it-remote "+v)
		git(work, "push", "--quiet", "file://"+bare, "main")
	}
	publish(version)
	return "file://" + bare, publish
}

func TestHelmRegistry(t *testing.T) {
	url := helmRepo(t, "1.0.0", "1.1.0")
	r := addon.HelmRegistry("it-helm", addon.HelmSource{URL: url, Username: "reader", Password: "s3cret-pw"})
	entries, errs := r.Entries()
	if len(errs) > 0 || len(entries) != 1 || strings.Join(entries[0].Versions, ",") != "1.1.0,1.0.0" {
		t.Fatalf("entries %+v, errors %v", entries, errs)
	}
	a, err := r.Get("it-remote")
	if err != nil || a.Meta.Version != "1.1.0" || a.Registry != "it-helm" || a.TemplateCUE == nil || len(a.Resources) != 1 {
		t.Fatalf("newest: %+v, %v", a, err)
	}
	if a, err = r.GetVersion("it-remote", "1.0.0"); err != nil || a.Meta.Version != "1.0.0" {
		t.Fatalf("1.0.0: %v", err)
	}
	var verr *addon.VersionError
	if _, err := (addon.Registries{r}).FindVersion("it-remote", "it-helm", "9.9.9"); !errors.As(err, &verr) || !strings.Contains(err.Error(), "1.1.0, 1.0.0") {
		t.Errorf("missing version: %v", err)
	}
	bad := addon.HelmRegistry("it-bad", addon.HelmSource{URL: url, Username: "reader", Password: "wrong-pw"})
	if _, err := bad.Names(); err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), "wrong-pw") {
		t.Errorf("bad password: %v", err)
	}
	// An unreadable registry does not hide the addon another one holds.
	if a, err := (addon.Registries{bad, r}).Find("it-remote"); err != nil || a.Meta.Version != "1.1.0" {
		t.Errorf("find past an unreadable registry: %v", err)
	}
}

// A registry that did not answer is read again by the next call on the same catalog (the
// dashboard keeps its catalogs for a minute): a failure is not kept.
func TestHelmRegistryReadsAgainAfterAFailure(t *testing.T) {
	upstream, err := url.Parse(helmRepo(t, "1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	var requests atomic.Int32
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(flaky.Close)
	r := addon.HelmRegistry("it-flaky", addon.HelmSource{URL: flaky.URL + upstream.Path, Username: "reader", Password: "s3cret-pw"})
	if _, err := r.Names(); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("first read: %v, want the 503", err)
	}
	if names, err := r.Names(); err != nil || strings.Join(names, ",") != "it-remote" {
		t.Fatalf("second read: %v, %v", names, err)
	}
	n := requests.Load()
	if _, err := r.Get("it-remote"); err != nil {
		t.Fatal(err)
	}
	if requests.Load() != n+1 {
		t.Fatalf("the index was fetched again after it was read once (%d requests, want %d: the archive only)", requests.Load(), n+1)
	}
}

// A hand-written index (no apiVersion, KubeVela's invisible flag, a field Helm does not
// know) is read as KubeVela reads it: versions newest first by semver, not by string.
func TestHelmRegistryHandWrittenIndex(t *testing.T) {
	dir := t.TempDir()
	index := `entries:
  hidden:
  - {name: hidden, version: 1.9.0, description: old, urls: [hidden-1.9.0.tgz], invisible: true, flavour: x}
  - {name: hidden, version: 1.10.0, description: new, urls: [hidden-1.10.0.tgz], invisible: true}
  shown:
  - {name: shown, version: 0.1.0, urls: [shown-0.1.0.tgz]}
`
	if err := os.WriteFile(filepath.Join(dir, addon.IndexFile), []byte(index), 0o644); err != nil {
		t.Fatal(err)
	}
	r := addon.HelmRegistry("it-hand", addon.HelmSource{URL: addontest.ServeHelmRegistry(t, dir, "u", "p"), Username: "u", Password: "p"})
	entries, errs := r.Entries()
	if len(errs) > 0 || len(entries) != 2 {
		t.Fatalf("entries %+v, errors %v", entries, errs)
	}
	if e := entries[0]; e.Name != "hidden" || !e.Invisible || e.Description != "new" || strings.Join(e.Versions, ",") != "1.10.0,1.9.0" {
		t.Errorf("hidden: %+v", e)
	}
	if e := entries[1]; e.Name != "shown" || e.Invisible {
		t.Errorf("shown: %+v", e)
	}
}

func TestGitRegistry(t *testing.T) {
	url, publish := gitRepo(t, "1.0.0")
	cache := t.TempDir()
	r := addon.GitRegistry("it-git", addon.GitSource{URL: url, Path: "addons"}, cache)
	a, err := r.Get("it-remote")
	if err != nil || a.Meta.Version != "1.0.0" || a.Registry != "it-git" {
		t.Fatalf("get: %+v, %v", a, err)
	}
	publish("1.2.0")
	// A registry read again (a new vela command) fetches the repository again.
	r = addon.GitRegistry("it-git", addon.GitSource{URL: url, Path: "addons"}, cache)
	if a, err = r.Get("it-remote"); err != nil || a.Meta.Version != "1.2.0" {
		t.Fatalf("after publishing 1.2.0: %+v, %v", a, err)
	}
	if _, err := addon.GitRegistry("it-nopath", addon.GitSource{URL: url, Path: "nothing"}, cache).Names(); err == nil || !strings.Contains(err.Error(), "--path") {
		t.Errorf("missing path: %v", err)
	}
	// A stored name that is no directory name (KubeVela's ConfigMap edited by hand) is
	// refused before its clone replaces anything outside the cache.
	if _, err := addon.GitRegistry("..", addon.GitSource{URL: url, Path: "addons"}, filepath.Join(cache, "sub")).Names(); err == nil || !strings.Contains(err.Error(), "another name") {
		t.Errorf("registry named ..: %v", err)
	}
	if _, err := os.Stat(filepath.Join(cache, "it-git")); err != nil {
		t.Errorf("the cache beside it: %v", err)
	}
}

func TestInitPackageRoundTrip(t *testing.T) {
	dir := t.TempDir()
	root, err := addon.Init("it-new", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := addon.Init("it-new", dir); err == nil {
		t.Error("init over an existing directory succeeded")
	}
	if _, err := addon.Init("Bad_Name", dir); err == nil {
		t.Error("a bad name was accepted")
	}
	a, err := addon.LoadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	out, err := addon.Render(a, map[string]any{"message": "hi"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(fmt.Sprint(out.App.Object), "message:hi") {
		t.Errorf("rendered %v", out.App.Object)
	}
	pkg, err := addon.Package(root, filepath.Join(dir, "out"))
	if err != nil || filepath.Base(pkg) != "it-new-1.0.0.tgz" {
		t.Fatalf("package: %s, %v", pkg, err)
	}
	data, err := os.ReadFile(pkg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := addon.LoadArchive(data, "r", pkg)
	if err != nil || b.Meta.Name != "it-new" || b.TemplateCUE == nil || b.Parameter == nil || len(b.Resources) != 1 {
		t.Fatalf("archive: %+v, %v", b, err)
	}
	// The package is a Helm chart (library type) that helm's loader and index accept.
	ch, err := loader.Load(pkg)
	if err != nil || ch.Metadata.Name != "it-new" || ch.Metadata.Version != "1.0.0" || ch.Metadata.Type != "library" {
		t.Fatalf("helm loads the package as %+v, %v", ch, err)
	}
	if err := addon.WriteIndex(filepath.Dir(pkg)); err != nil {
		t.Fatal(err)
	}
	idx, err := repo.LoadIndexFile(filepath.Join(filepath.Dir(pkg), addon.IndexFile))
	if err != nil || !idx.Has("it-new", "1.0.0") {
		t.Fatalf("helm reads the index as %+v, %v", idx, err)
	}
	// A CUE error fails packaging and names the file and line.
	if err := os.WriteFile(filepath.Join(root, "resources", "example.cue"), []byte("package main\nexample: {\n\tname: 1 & \"x\"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := addon.Package(root, dir); err == nil || !strings.Contains(err.Error(), "resources/example.cue:3") {
		t.Errorf("bad CUE: %v", err)
	}
}
