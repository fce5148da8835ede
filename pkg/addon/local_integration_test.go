package addon_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"velad.io/velad/pkg/addon"
	"velad.io/velad/pkg/apis/core/v1beta1"
)

// A local addon in KubeVela's format with a dependency found in a directory registry.
func TestIntegrationEnableLocalDirWithDependency(t *testing.T) {
	regDir, localDir := t.TempDir(), t.TempDir()
	writeAddon(t, regDir, "it-base", map[string]string{
		"metadata.yaml": "name: it-base\nversion: 1.2.0\ndescription: base for the local addon\n",
		"resources/base-config.yaml": `apiVersion: v1
kind: ConfigMap
metadata: {name: it-base-config}
data: {from: base}
`,
	})
	path := writeAddon(t, localDir, "it-local", map[string]string{
		"metadata.yaml": `name: it-local
version: 0.1.0
dependencies:
  - name: it-base
    version: ">=1.0.0"
system: {vela: ">=1.6", kubernetes: ">=1.20"}
`,
		"parameter.cue": "parameter: greeting: *\"hello\" | string\n",
		"template.cue": `package main
output: {
	apiVersion: "core.oam.dev/v1beta1"
	kind:       "Application"
	spec: components: [{
		name: "it-local-note"
		type: "it-note"
		properties: text: parameter.greeting
	}]
}
`,
		"definitions/it-note.yaml": `apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata: {name: it-note}
spec:
  workload: {definition: {apiVersion: v1, kind: ConfigMap}}
  schematic:
    cue:
      template: |
        output: {apiVersion: "v1", kind: "ConfigMap", data: text: parameter.text}
        parameter: text: string
`,
	})
	h := newHarness(t, addon.DirRegistry("it", regDir))
	a, err := addon.LoadDir(path)
	if err != nil {
		t.Fatal(err)
	}
	done, err := h.m.Enable(h.ctx, a, addon.EnableOptions{Parameters: map[string]any{"greeting": "hi"}, Clusters: []string{"local"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 2 || done[0].Addon.Meta.Name != "it-base" || done[1].Addon.Meta.Name != "it-local" {
		t.Fatalf("enabled %v, want it-base then it-local", done)
	}
	if i, j := strings.Index(h.log.String(), "dependency it-base"), strings.Index(h.log.String(), "addon it-local"); i < 0 || j < i {
		t.Errorf("log does not enable the dependency first:\n%s", h.log)
	}
	var cm corev1.ConfigMap
	if !h.exists(&cm, addon.Namespace, "it-base-config") || cm.Data["from"] != "base" {
		t.Error("dependency's ConfigMap not delivered")
	}
	if !h.exists(&cm, addon.Namespace, "it-local-note") || cm.Data["text"] != "hi" {
		t.Errorf("local addon's ConfigMap = %v", cm.Data)
	}
	app := &v1beta1.Application{}
	h.exists(app, addon.Namespace, "addon-it-local")
	if app.Labels[addon.LabelRegistry] != addon.LocalRegistryName || len(app.Spec.Policies) != 1 || app.Spec.Policies[0].Type != "topology" {
		t.Errorf("labels %v policies %+v", app.Labels, app.Spec.Policies)
	}
	var sec corev1.Secret
	h.exists(&sec, addon.Namespace, "addon-secret-it-local")
	var params map[string]any
	_ = json.Unmarshal(sec.Data[addon.ParameterDataKey], &params)
	if cl, _ := params["clusters"].([]any); len(cl) != 1 || cl[0] != "local" {
		t.Errorf("stored parameters = %v", params)
	}
	items, _ := h.m.List(h.ctx)
	found := false
	for _, it := range items {
		found = found || it.Name == "it-local" && it.State == addon.StateEnabled && it.Registry == "local"
	}
	if !found {
		t.Errorf("list does not show the local addon enabled: %+v", items)
	}
	if err := h.m.Disable(h.ctx, "it-base", addon.DisableOptions{}); !addon.IsInUse(err) || !strings.Contains(err.Error(), "addon it-local depends on it") {
		t.Errorf("disabling a dependency of an enabled addon: %v", err)
	}
	for _, n := range []string{"it-local", "it-base"} {
		if err := h.m.Disable(h.ctx, n, addon.DisableOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	def := &unstructured.Unstructured{}
	def.SetAPIVersion("core.oam.dev/v1beta1")
	def.SetKind("ComponentDefinition")
	if h.exists(def, addon.Namespace, "it-note") {
		t.Error("definition it-note left after disable")
	}
}

// Bad addons change nothing in the cluster.
func TestIntegrationRejectedAddonsApplyNothing(t *testing.T) {
	dir := t.TempDir()
	writeAddon(t, dir, "it-cycle-a", map[string]string{"metadata.yaml": "name: it-cycle-a\nversion: 1.0.0\ndependencies: [{name: it-cycle-b}]\n"})
	writeAddon(t, dir, "it-cycle-b", map[string]string{"metadata.yaml": "name: it-cycle-b\nversion: 1.0.0\ndependencies: [{name: it-cycle-a}]\n"})
	writeAddon(t, dir, "it-future", map[string]string{"metadata.yaml": "name: it-future\nversion: 1.0.0\nsystem: {kubernetes: \">=1.99\"}\n"})
	writeAddon(t, dir, "it-needs-future", map[string]string{"metadata.yaml": "name: it-needs-future\nversion: 1.0.0\ndependencies: [{name: it-ok}, {name: it-future}]\n"})
	writeAddon(t, dir, "it-ok", map[string]string{"metadata.yaml": "name: it-ok\nversion: 1.0.0\n"})
	h := newHarness(t, addon.DirRegistry("it-bad", dir))
	check := func(name string, want func(error) bool) {
		t.Helper()
		a, err := h.m.Find(name)
		if err == nil {
			_, err = h.m.Enable(h.ctx, a, addon.EnableOptions{})
		}
		if !want(err) {
			t.Errorf("enable %s: unexpected error %v", name, err)
		}
		for _, n := range []string{"it-cycle-a", "it-cycle-b", "it-future", "it-ok"} {
			if h.exists(&v1beta1.Application{}, addon.Namespace, addon.AppName(n)) || h.exists(&corev1.Secret{}, addon.Namespace, addon.SecretName(n)) {
				t.Errorf("enable %s left objects of %s", name, n)
			}
		}
	}
	check("it-cycle-a", func(err error) bool {
		var ce *addon.CycleError
		return errors.As(err, &ce) && strings.Contains(err.Error(), "it-cycle-a -> it-cycle-b -> it-cycle-a")
	})
	check("it-needs-future", func(err error) bool {
		var re *addon.RequirementError
		return errors.As(err, &re) && strings.Contains(err.Error(), "requires kubernetes >=1.99, but v1.")
	})
	check("it-missing", func(err error) bool {
		var nf *addon.NotFoundError
		return errors.As(err, &nf) && strings.Contains(err.Error(), "it-ok") && strings.Contains(err.Error(), "velad-hello")
	})
}

// A write that fails half-way (here: an auxiliary object of an unknown kind) deletes what
// the enable wrote.
func TestIntegrationFailedEnableRollsBack(t *testing.T) {
	path := writeAddon(t, t.TempDir(), "it-rollback", map[string]string{
		"metadata.yaml": "name: it-rollback\nversion: 1.0.0\n",
		"template.cue": `output: {
	apiVersion: "core.oam.dev/v1beta1"
	kind:       "Application"
	spec: components: []
}
outputs: gadget: {apiVersion: "gadgets.example.com/v1", kind: "Gadget", metadata: name: "g"}
`,
		"definitions/it-rollback-trait.cue": `"it-rollback-trait": {type: "trait"}
template: patch: metadata: labels: x: "y"
`,
	})
	h := newHarness(t)
	a, err := addon.LoadDir(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.m.Enable(h.ctx, a, addon.EnableOptions{}); err == nil || !strings.Contains(err.Error(), "Gadget") {
		t.Fatalf("enable: %v", err)
	}
	def := &unstructured.Unstructured{}
	def.SetAPIVersion("core.oam.dev/v1beta1")
	def.SetKind("TraitDefinition")
	h.eventually("application addon-it-rollback deleted (the controller's finalizer runs first)", func() bool {
		return !h.exists(&v1beta1.Application{}, addon.Namespace, "addon-it-rollback")
	})
	if h.exists(def, addon.Namespace, "it-rollback-trait") ||
		h.exists(&corev1.Secret{}, addon.Namespace, "addon-secret-it-rollback") {
		t.Error("a failed enable left objects behind")
	}
	if !strings.Contains(h.log.String(), "rolling back addon it-rollback") {
		t.Errorf("log:\n%s", h.log)
	}
}

func TestIntegrationDirectoryRegistries(t *testing.T) {
	dir := t.TempDir()
	writeAddon(t, dir, "it-from-registry", map[string]string{"metadata.yaml": "name: it-from-registry\nversion: 2.0.0\ndescription: added registry\n"})
	h := newHarness(t)
	if err := h.m.AddRegistry(h.ctx, addon.RegistrySpec{Name: "it-dir", Endpoint: dir}); err != nil {
		t.Fatal(err)
	}
	if err := h.m.AddRegistry(h.ctx, addon.RegistrySpec{Name: "it-dir", Endpoint: dir}); err == nil {
		t.Error("adding a registry twice succeeded")
	}
	if err := h.m.AddRegistry(h.ctx, addon.RegistrySpec{Name: "velad", Endpoint: dir}); err == nil {
		t.Error("the embedded registry's name was accepted")
	}
	fresh := newHarness(t)
	if err := fresh.m.UseStoredRegistries(fresh.ctx); err != nil {
		t.Fatal(err)
	}
	a, err := fresh.m.Find("it-from-registry")
	if err != nil || a.Registry != "it-dir" {
		t.Fatalf("find in added registry: %v", err)
	}
	if err := h.m.DeleteRegistry(h.ctx, "it-dir"); err != nil {
		t.Fatal(err)
	}
	if err := h.m.DeleteRegistry(h.ctx, "it-dir"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("second delete: %v", err)
	}
}
