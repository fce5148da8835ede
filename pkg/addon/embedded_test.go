package addon

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"velad.io/velad/pkg/appfile"
	"velad.io/velad/pkg/cue"
	"velad.io/velad/pkg/cue/provider/op"
)

// dryRun renders app offline with the built-in definitions plus defs.
func dryRun(t *testing.T, app *unstructured.Unstructured, defs []*unstructured.Unstructured) []*unstructured.Unstructured {
	t.Helper()
	builtin, err := appfile.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	extra := appfile.NewSet()
	for _, d := range defs {
		def, err := appfile.DefinitionFromUnstructured(d)
		if err != nil {
			t.Fatalf("%s %s: %v", d.GetKind(), d.GetName(), err)
		}
		extra.Add(def)
	}
	e, err := cue.New(cue.WithProviders(op.All()...))
	if err != nil {
		t.Fatal(err)
	}
	a, err := appfile.ApplicationFrom(app.Object)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := appfile.DryRun(context.Background(), e, appfile.Chain{extra, builtin}, a, appfile.RenderOptions{})
	if err != nil {
		t.Fatalf("dry-run of %s: %v", app.GetName(), err)
	}
	var objs []*unstructured.Unstructured
	for _, m := range ms {
		objs = append(objs, m.Objects()...)
	}
	return objs
}

func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

func TestEmbeddedRegistryLists(t *testing.T) {
	addons, errs := EmbeddedRegistry().List()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if got := names(addons); got != "helm,rollout,velad-hello,velad-ownership,velaux" {
		t.Fatalf("embedded addons = %s", got)
	}
	for _, a := range addons {
		if err := CheckRequirements(a, VelaVersion, "v1.37.2"); err != nil {
			t.Errorf("%s does not run on velad: %v", a.Meta.Name, err)
		}
	}
}

func TestEmbeddedHelloDeliversAWorkload(t *testing.T) {
	a, err := EmbeddedRegistry().Get("velad-hello")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Render(a, map[string]any{"replicas": 2, "message": "hi"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	objs := dryRun(t, out.App, out.Definitions)
	d := find(objs, "Deployment", "velad-hello")
	if d == nil {
		t.Fatalf("no Deployment velad-hello among %d objects", len(objs))
	}
	if r, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas"); r != 2 {
		t.Errorf("replicas = %d", r)
	}
	if cm := find(objs, "ConfigMap", "velad-hello-greeting"); cm == nil || cm.Object["data"].(map[string]any)["message"] != "hi" {
		t.Errorf("greeting ConfigMap = %v", cm)
	}
	if out.Notes == "" {
		t.Error("no notes")
	}
}

func TestEmbeddedOwnershipTraitIsUsable(t *testing.T) {
	a, err := EmbeddedRegistry().Get("velad-ownership")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Render(a, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Definitions) != 1 || out.Definitions[0].GetName() != "ownership" {
		t.Fatalf("definitions = %v", out.Definitions)
	}
	if cm := find(dryRun(t, out.App, nil), "ConfigMap", "velad-team-directory"); cm == nil {
		t.Error("no team directory ConfigMap")
	}
	app := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "core.oam.dev/v1beta1", "kind": "Application",
		"metadata": map[string]any{"name": "owned", "namespace": "default"},
		"spec": map[string]any{"components": []any{map[string]any{
			"name": "api", "type": "webservice", "properties": map[string]any{"image": "api:1"},
			"traits": []any{map[string]any{"type": "ownership", "properties": map[string]any{"team": "payments"}}},
		}}},
	}}
	d := find(dryRun(t, app, out.Definitions), "Deployment", "api")
	if d == nil {
		t.Fatal("no Deployment api")
	}
	if d.GetLabels()["ownership.velad.io/team"] != "payments" {
		t.Errorf("deployment labels = %v", d.GetLabels())
	}
	podLabels, _, _ := unstructured.NestedStringMap(d.Object, "spec", "template", "metadata", "labels")
	if podLabels["ownership.velad.io/team"] != "payments" {
		t.Errorf("pod labels = %v", podLabels)
	}
}

func TestEmbeddedHelmComponentEmitsFluxObjects(t *testing.T) {
	a, err := EmbeddedRegistry().Get("helm")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Render(a, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Definitions) != 1 || out.Definitions[0].GetName() != "helm" || out.Definitions[0].GetKind() != "ComponentDefinition" {
		t.Fatalf("definitions = %v", out.Definitions)
	}
	app := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "core.oam.dev/v1beta1", "kind": "Application",
		"metadata": map[string]any{"name": "charts", "namespace": "default"},
		"spec": map[string]any{"components": []any{map[string]any{
			"name": "podinfo", "type": "helm", "properties": map[string]any{
				"repoType": "oci", "url": "oci://ghcr.io/stefanprodan/charts", "chart": "podinfo", "version": "6.x",
				"targetNamespace": "apps", "releaseName": "pi", "values": map[string]any{"replicaCount": 2},
				"valuesFrom": []any{map[string]any{"kind": "ConfigMap", "name": "pi-values"}},
			},
		}}},
	}}
	objs := dryRun(t, app, out.Definitions)
	repo, hr := find(objs, "HelmRepository", "podinfo"), find(objs, "HelmRelease", "podinfo")
	if repo == nil || hr == nil {
		t.Fatalf("want a HelmRepository and a HelmRelease, got %d objects", len(objs))
	}
	if typ, _, _ := unstructured.NestedString(repo.Object, "spec", "type"); typ != "oci" {
		t.Errorf("repository type = %q", typ)
	}
	spec := hr.Object["spec"].(map[string]any)
	chart := spec["chart"].(map[string]any)["spec"].(map[string]any)
	if chart["chart"] != "podinfo" || chart["version"] != "6.x" || chart["sourceRef"].(map[string]any)["name"] != "podinfo" ||
		spec["targetNamespace"] != "apps" || spec["releaseName"] != "pi" || len(spec["valuesFrom"].([]any)) != 1 {
		t.Errorf("HelmRelease spec = %v", spec)
	}
}

func TestEmbeddedRolloutDefinitions(t *testing.T) {
	a, err := EmbeddedRegistry().Get("rollout")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Render(a, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, d := range out.Definitions {
		kinds[d.GetName()] = d.GetKind()
	}
	if kinds["canary"] != "TraitDefinition" || kinds["canary-rollout"] != "WorkflowStepDefinition" {
		t.Fatalf("definitions = %v", kinds)
	}
	app := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "core.oam.dev/v1beta1", "kind": "Application",
		"metadata": map[string]any{"name": "web", "namespace": "default"},
		"spec": map[string]any{"components": []any{map[string]any{
			"name": "web", "type": "webservice", "properties": map[string]any{"image": "web:2"},
			"traits": []any{map[string]any{"type": "canary", "properties": map[string]any{
				"batches": []any{map[string]any{"weight": 20, "pause": true}, map[string]any{"weight": 100}}}}},
		}}},
	}}
	d := find(dryRun(t, app, out.Definitions), "Deployment", "web")
	if d == nil || d.GetAnnotations()["rollout.velad.io/batches"] != "2" {
		t.Fatalf("Deployment web = %v", d)
	}
}
