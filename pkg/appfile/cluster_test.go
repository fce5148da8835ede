package appfile

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"velad.io/velad/pkg/apis/core/v1beta1"
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

func TestDefinitionFromTyped(t *testing.T) {
	td := &v1beta1.TraitDefinition{}
	td.Name = "expose"
	td.Spec.Stage = v1beta1.PostDispatch
	td.Spec.AppliesToWorkloads = []string{"deployments.apps"}
	td.Spec.Schematic = &v1beta1.Schematic{CUE: &v1beta1.CUE{Template: "parameter: {}"}}
	td.Kind = KindTrait
	d, err := DefinitionFromObject(td)
	if err != nil {
		t.Fatal(err)
	}
	if d.Stage != "PostDispatch" || d.Template != "parameter: {}" || d.AppliesToWorkloads[0] != "deployments.apps" {
		t.Errorf("definition = %+v", d)
	}
}

func TestApplicationFromTyped(t *testing.T) {
	app := &v1beta1.Application{}
	app.Name = "shop"
	app.Namespace = "prod"
	app.Spec.Components = []v1beta1.ApplicationComponent{{
		Name: "web", Type: "webservice",
		Properties: &runtime.RawExtension{Raw: []byte(`{"image":"nginx","port":80}`)},
	}}
	a, err := ApplicationFrom(app)
	if err != nil {
		t.Fatal(err)
	}
	if a.Namespace != "prod" || a.Spec.Components[0].Properties["port"] != int64(80) {
		t.Errorf("application = %+v", a.Spec.Components[0])
	}
}
