package controller

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestAppliedManifests(t *testing.T) {
	a := newAppliedManifests()
	app := client.ObjectKey{Namespace: "default", Name: "app"}
	m := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "cm", "namespace": "default"}, "data": map[string]any{"k": "v"}}}
	sum, ok := manifestSum(m)
	if !ok {
		t.Fatal("manifestSum failed")
	}
	key := objectRefKey("", m)
	if a.same(app, key, "u1", sum) {
		t.Fatal("same before any apply")
	}
	a.record(app, key, "u1", sum)
	if !a.same(app, key, "u1", sum) {
		t.Error("not same after the apply of that manifest")
	}
	if a.same(app, key, "u2", sum) {
		t.Error("same for another object of that name (a new UID)")
	}
	m.Object["data"] = map[string]any{"k": "w"}
	if other, _ := manifestSum(m); a.same(app, key, "u1", other) {
		t.Error("same for another manifest")
	}
	if a.same(client.ObjectKey{Namespace: "default", Name: "other"}, key, "u1", sum) {
		t.Error("same for another Application")
	}
	a.drop(app, key)
	if a.same(app, key, "u1", sum) {
		t.Error("same after drop")
	}
	a.record(app, key, "u1", sum)
	a.forget(app)
	if a.same(app, key, "u1", sum) {
		t.Error("same after forget")
	}
}
