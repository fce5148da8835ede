package appfile

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func TestClientLoader(t *testing.T) {
	mk := func(ns, name, desc string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{Object: map[string]any{
			"spec": map[string]any{"schematic": map[string]any{"cue": map[string]any{"template": "parameter: {}"}}},
		}}
		u.SetGroupVersionKind(DefinitionGroupVersion.WithKind(KindTrait))
		u.SetNamespace(ns)
		u.SetName(name)
		u.SetAnnotations(map[string]string{DescriptionAnnotation: desc})
		return u
	}
	c := fake.NewClientBuilder().WithObjects(mk("vela-system", "scaler", "system"), mk("dev", "scaler", "dev"), mk("vela-system", "labels", "l")).Build()
	l := &ClientLoader{Reader: c}
	ctx := context.Background()
	d, err := l.Load(ctx, KindTrait, "scaler", "dev")
	if err != nil || d.Description != "dev" {
		t.Fatalf("namespace definition should win: %+v %v", d, err)
	}
	if d, err = l.Load(ctx, KindTrait, "scaler", "prod"); err != nil || d.Description != "system" {
		t.Fatalf("fallback to vela-system: %+v %v", d, err)
	}
	if _, err = l.Load(ctx, KindTrait, "nope", "prod"); !IsNotFound(err) {
		t.Fatalf("want NotFoundError, got %v", err)
	}
	list, err := l.List(ctx, KindTrait, "dev")
	if err != nil || len(list) != 2 || list[1].Description != "dev" {
		t.Fatalf("list = %v %v", list, err)
	}
}
