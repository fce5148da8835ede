package addon_test

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"velad.io/velad/pkg/addon"
)

// reload returns a Manager that reads the stored registries again, as a new vela command does.
func (h *harness) reload(cache string) *addon.Manager {
	h.t.Helper()
	m, err := addon.New(env.Config, addon.Options{Registries: addon.Registries{addon.EmbeddedRegistry()}, CacheDir: cache})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := m.UseStoredRegistries(h.ctx); err != nil {
		h.t.Fatal(err)
	}
	return m
}

// remoteConfig reads the ConfigMap it-remote delivers: its version and parameters.
func (h *harness) remoteConfig() map[string]string {
	h.t.Helper()
	var cm corev1.ConfigMap
	if !h.exists(&cm, addon.Namespace, "it-remote-config") {
		h.t.Fatal("it-remote-config not delivered")
	}
	return cm.Data
}

// enableRemote enables it-remote from registry at version ("" for the newest) with greeting
// and checks that version 1.0.0 was delivered; it is disabled when the test ends.
func (h *harness) enableRemote(m *addon.Manager, registry, version, greeting string) {
	h.t.Helper()
	a, err := m.FindVersion("it-remote", registry, version)
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := m.Enable(h.ctx, a, addon.EnableOptions{Parameters: map[string]any{"greeting": greeting}}); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = m.Disable(h.ctx, "it-remote", addon.DisableOptions{Force: true}) })
	if d := h.remoteConfig(); d["version"] != "1.0.0" || d["greeting"] != greeting {
		h.t.Fatalf("1.0.0 delivered %v", d)
	}
}

// A helm-type registry over HTTP serving packages made by addon.Package: enable an older
// version, upgrade to the newest keeping the stored parameters.
func TestIntegrationHelmRegistryEnableUpgrade(t *testing.T) {
	h := newHarness(t)
	url := helmRepo(t, "1.0.0", "1.1.0")
	cache := t.TempDir()
	if _, err := h.m.Upgrade(h.ctx, "it-remote", addon.UpgradeOptions{}); !errors.Is(err, addon.ErrNotEnabled) {
		t.Fatalf("upgrading a disabled addon: %v", err)
	}
	if err := h.m.AddRegistry(h.ctx, addon.RegistrySpec{Name: "it-helm", Type: addon.KindHelm, Endpoint: url, Username: "reader", Password: "wrong"}); err == nil {
		t.Fatal("a registry with a wrong password was added")
	}
	if err := h.m.AddRegistry(h.ctx, addon.RegistrySpec{Name: "it-helm", Type: addon.KindHelm, Endpoint: url, Username: "reader", Password: "s3cret-pw"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.m.DeleteRegistry(h.ctx, "it-helm") })
	m := h.reload(cache)
	items, errs := m.List(h.ctx)
	found := false
	for _, it := range items {
		if it.Name == "it-remote" && it.Registry == "it-helm" && len(it.Versions) == 2 && it.Versions[0] == "1.1.0" {
			found = true
		}
	}
	if !found || len(errs) > 0 {
		t.Fatalf("list: %+v %v", items, errs)
	}
	h.enableRemote(m, "it-helm", "1.0.0", "hi")
	m = h.reload(cache)
	if _, err := m.Upgrade(h.ctx, "it-remote", addon.UpgradeOptions{EnableOptions: addon.EnableOptions{Parameters: map[string]any{"colour": "red"}}}); err != nil {
		t.Fatal(err)
	}
	h.eventually("1.1.0 delivered with kept and new parameters", func() bool {
		d := h.remoteConfig()
		return d["version"] == "1.1.0" && d["greeting"] == "hi" && d["colour"] == "red"
	})
	st, err := m.Status(h.ctx, "it-remote")
	if err != nil || st.Version != "1.1.0" || st.Registry != "it-helm" {
		t.Fatalf("status %+v, %v", st, err)
	}
	if err := m.Disable(h.ctx, "it-remote", addon.DisableOptions{}); err != nil {
		t.Fatal(err)
	}
}

// A git-type registry from a bare repository: enable, publish a newer version, upgrade.
func TestIntegrationGitRegistryEnableUpgrade(t *testing.T) {
	h := newHarness(t)
	url, publish := gitRepo(t, "1.0.0")
	cache := t.TempDir()
	if err := h.m.AddRegistry(h.ctx, addon.RegistrySpec{Name: "it-git", Type: addon.KindGit, Endpoint: url, Path: "addons"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.m.DeleteRegistry(h.ctx, "it-git") })
	m := h.reload(cache)
	h.enableRemote(m, "it-git", "", "from git")
	publish("1.2.0")
	m = h.reload(cache)
	if _, err := m.Upgrade(h.ctx, "it-remote", addon.UpgradeOptions{}); err != nil {
		t.Fatal(err)
	}
	h.eventually("1.2.0 delivered", func() bool {
		d := h.remoteConfig()
		return d["version"] == "1.2.0" && d["greeting"] == "from git"
	})
	if err := m.Disable(h.ctx, "it-remote", addon.DisableOptions{}); err != nil {
		t.Fatal(err)
	}
}

// vela addon init's scaffold enables as it is.
func TestIntegrationInitThenEnable(t *testing.T) {
	h := newHarness(t)
	root, err := addon.Init("it-scaffold", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a, err := addon.LoadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.m.Enable(h.ctx, a, addon.EnableOptions{Parameters: map[string]any{"message": "scaffolded"}}); err != nil {
		t.Fatal(err)
	}
	var cm corev1.ConfigMap
	if !h.exists(&cm, "default", "it-scaffold-example") || cm.Data["message"] != "scaffolded" {
		t.Fatalf("example ConfigMap: %v", cm.Data)
	}
	if err := h.m.Disable(h.ctx, "it-scaffold", addon.DisableOptions{}); err != nil {
		t.Fatal(err)
	}
}
