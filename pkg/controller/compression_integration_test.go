package controller_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/core/v1beta1/kubevelafixture"
	"velad.io/velad/pkg/apis/oam"
	"velad.io/velad/pkg/application"
)

// rawSpec reads the spec of a stored object as the API server holds it.
func rawSpec(t *testing.T, kind, namespace, name string) map[string]any {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(v1beta1.GroupVersion.WithKind(kind))
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, u); err != nil {
		t.Fatal(err)
	}
	spec, _ := u.Object["spec"].(map[string]any)
	return spec
}

// webApp is an Application name of one webservice component name-web (image nginx:1) with
// more fields (YAML flow members, e.g. its traits).
func webApp(name, more string) string {
	if more != "" {
		more = ", " + more
	}
	return "{apiVersion: core.oam.dev/v1beta1, kind: Application, metadata: {name: " + name + "}, spec: {components: [" +
		"{name: " + name + "-web, type: webservice, properties: {image: \"nginx:1\"}" + more + "}]}}"
}

// storeAsKubeVela rewrites the stored spec of obj: fields (the compressible part) move into
// spec.compression packed as KubeVela packs them, the rest of the spec is rest.
func storeAsKubeVela(t *testing.T, obj client.Object, typ string, fields any, rest map[string]any) {
	t.Helper()
	raw, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	data, err := kubevelafixture.Pack(typ, raw)
	if err != nil {
		t.Fatal(err)
	}
	rest["compression"] = map[string]any{"type": typ, "data": data}
	patch, err := json.Marshal([]map[string]any{{"op": "replace", "path": "/spec", "value": rest}})
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(obj.GetObjectKind().GroupVersionKind())
	u.SetNamespace(obj.GetNamespace())
	u.SetName(obj.GetName())
	if err := c.Patch(context.Background(), u, client.RawPatch(types.JSONPatchType, patch)); err != nil {
		t.Fatalf("storing %s compressed: %v", obj.GetName(), err)
	}
}

// storeRevisionAsKubeVela stores revision name of the default namespace as KubeVela does
// with its ZstdApplicationRevision (or Gzip…) gate on.
func storeRevisionAsKubeVela(t *testing.T, name, typ string) {
	t.Helper()
	ar := &v1beta1.ApplicationRevision{}
	if err := c.Get(context.Background(), key(name), ar); err != nil {
		t.Fatal(err)
	}
	ar.SetGroupVersionKind(v1beta1.GroupVersion.WithKind(v1beta1.ApplicationRevisionKind))
	storeAsKubeVela(t, ar, typ, ar.Spec.ApplicationRevisionCompressibleFields,
		map[string]any{"application": map[string]any{"spec": map[string]any{"components": []any{}}}})
	if spec := rawSpec(t, v1beta1.ApplicationRevisionKind, "default", name); spec["componentDefinitions"] != nil {
		t.Fatalf("%s still stores its definitions uncompressed", name)
	}
}

// TestIntegrationKubeVelaCompressedRevisions: revisions KubeVela stored compressed (gzip and
// zstd) are listed, described and rolled back to.
func TestIntegrationKubeVelaCompressedRevisions(t *testing.T) {
	setup(t)
	create(t, webApp("kvrev", "traits: [{type: scaler, properties: {replicas: 2}}]"))
	runningAt(t, "kvrev", "kvrev-v1")
	storeRevisionAsKubeVela(t, "kvrev-v1", "gzip")
	updateApp(t, "kvrev", setImage("nginx:2"))
	app := runningAt(t, "kvrev", "kvrev-v2")
	storeRevisionAsKubeVela(t, "kvrev-v2", "zstd")

	revs := revisions(t, "kvrev")
	for name, img := range map[string]string{"kvrev-v1": "nginx:1", "kvrev-v2": "nginx:2"} {
		s := revs[name].Spec
		if len(s.Application.Spec.Components) != 1 || !strings.Contains(string(s.Application.Spec.Components[0].Properties.Raw), img) ||
			s.ComponentDefinitions["webservice"] == nil || s.TraitDefinitions["scaler"] == nil || !revs[name].Status.Succeeded {
			t.Fatalf("%s read back: application %+v, component definitions %d, trait definitions %d, succeeded %v",
				name, s.Application.Spec, len(s.ComponentDefinitions), len(s.TraitDefinitions), revs[name].Status.Succeeded)
		}
	}
	infos, err := application.DescribeRevisions(context.Background(), c, app)
	if err != nil || len(infos) != 2 || infos[0].Name != "kvrev-v1" || !infos[0].Succeeded {
		t.Fatalf("vela revision list: %v %+v", err, infos)
	}

	// vela workflow rollback: back to the gzip-compressed kvrev-v1.
	target, err := application.Rollback(context.Background(), c, app)
	if err != nil || target.Name != "kvrev-v1" {
		t.Fatalf("rollback: %v, target %v", err, target)
	}
	waitFor(t, "kvrev", 90*time.Second, "rolled back", func(a *v1beta1.Application) bool {
		return a.Status.Phase == v1beta1.ApplicationRunning && a.Status.LatestRevision != nil && a.Status.LatestRevision.Name == "kvrev-v1" &&
			a.Annotations[oam.AnnotationRollbackTo] == "" && a.Status.ObservedGeneration == a.Generation
	})
	if img := image(t, "kvrev-web"); img != "nginx:1" {
		t.Fatalf("after rollback: image %s, want nginx:1", img)
	}
}

// TestIntegrationKubeVelaCompressedTrackers: garbage collection, status and deletion work
// from trackers KubeVela stored compressed.
func TestIntegrationKubeVelaCompressedTrackers(t *testing.T) {
	setup(t)
	create(t, appYAML("kvrt", cmComponent("kvrt", "kvrt-one", "1"), ""))
	app := runningAt(t, "kvrt", "kvrt-v1")
	rt := &v1beta1.ResourceTracker{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: "kvrt-v1-default"}, rt); err != nil {
		t.Fatal(err)
	}
	rt.SetGroupVersionKind(v1beta1.GroupVersion.WithKind(v1beta1.ResourceTrackerKind))
	storeAsKubeVela(t, rt, "zstd", rt.Spec.ManagedResources,
		map[string]any{"type": string(rt.Spec.Type), "applicationGeneration": rt.Spec.ApplicationGeneration})
	if spec := rawSpec(t, v1beta1.ResourceTrackerKind, "", rt.Name); spec["managedResources"] != nil {
		t.Fatal("the tracker still stores its resources uncompressed")
	}

	res, err := application.ResourcesIn(context.Background(), c, app, nil)
	if err != nil || len(res) != 1 || res[0].Name != "kvrt-one" {
		t.Fatalf("vela status resources from the compressed tracker: %v %+v", err, res)
	}
	// The next revision no longer renders kvrt-one: GC finds it in the compressed tracker.
	replaceSpec(t, "kvrt", appYAML("kvrt", cmComponent("kvrt", "kvrt-two", "2"), ""))
	runningAt(t, "kvrt", "kvrt-v2")
	waitGone(t, cmRef("kvrt-one"))
	mustExist(t, cmRef("kvrt-two"))
	if err := c.Delete(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	waitGone(t, cmRef("kvrt-two"))
}

// TestIntegrationCorruptCompressedRevision: a revision whose compressed data is corrupt
// fails reading with an error naming it and what is wrong.
func TestIntegrationCorruptCompressedRevision(t *testing.T) {
	setup(t)
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": v1beta1.GroupVersion.String(), "kind": v1beta1.ApplicationRevisionKind,
		"metadata": map[string]any{"name": "broken-v1", "namespace": "default", "labels": map[string]any{oam.LabelAppName: "broken"}},
		"spec": map[string]any{
			"application": map[string]any{"spec": map[string]any{"components": []any{}}},
			"compression": map[string]any{"type": "zstd", "data": "bm90IHpzdGQ="},
		},
	}}
	if err := c.Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Delete(context.Background(), u) }()
	app := &v1beta1.Application{ObjectMeta: metav1.ObjectMeta{Name: "broken", Namespace: "default"}}
	_, err := application.GetRevision(context.Background(), c, app, "v1")
	_, listErr := application.Revisions(context.Background(), c, app)
	for _, e := range []error{err, listErr} {
		if e == nil || !strings.Contains(e.Error(), "ApplicationRevision broken-v1 in namespace default") || !strings.Contains(e.Error(), "not valid zstd") {
			t.Fatalf("corrupt revision: error %v does not name it and the fault", e)
		}
	}
}

// TestIntegrationControllerWritesCompressed: the test controller runs with zstd revisions and
// gzip trackers (runManager): they are stored compressed and read back whole.
func TestIntegrationControllerWritesCompressed(t *testing.T) {
	setup(t)
	create(t, webApp("cw", ""))
	runningAt(t, "cw", "cw-v1")
	spec := rawSpec(t, v1beta1.ApplicationRevisionKind, "default", "cw-v1")
	if comp, _ := spec["compression"].(map[string]any); comp["type"] != "zstd" || spec["componentDefinitions"] != nil {
		t.Fatalf("revision stored as %v", spec)
	}
	spec = rawSpec(t, v1beta1.ResourceTrackerKind, "", "cw-v1-default")
	if comp, _ := spec["compression"].(map[string]any); comp["type"] != "gzip" || spec["managedResources"] != nil {
		t.Fatalf("tracker stored as %v", spec)
	}
	rev := revisions(t, "cw")["cw-v1"]
	if rev.Spec.ComponentDefinitions["webservice"] == nil || rev.Spec.Application.Spec.Components[0].Name != "cw-web" {
		t.Fatalf("revision read back: %+v", rev.Spec)
	}
	rt := &v1beta1.ResourceTracker{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: "cw-v1-default"}, rt); err != nil {
		t.Fatal(err)
	}
	var d appsv1.Deployment
	if len(rt.Spec.ManagedResources) == 0 || rt.Spec.ManagedResources[0].Data == nil || json.Unmarshal(rt.Spec.ManagedResources[0].Data.Raw, &d) != nil || d.Name != "cw-web" {
		t.Fatalf("tracker read back: %+v", rt.Spec)
	}
}
