package v1beta1_test

import (
	"encoding/json"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

func newScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := v1beta1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

// ourKinds are the kinds this package serves.
var ourKinds = []string{
	"Application", "ComponentDefinition", "TraitDefinition", "PolicyDefinition",
	"WorkflowStepDefinition", "ApplicationRevision", "DefinitionRevision", "ResourceTracker",
}

func TestSchemeKnowsEveryKind(t *testing.T) {
	s := newScheme(t)
	for _, k := range ourKinds {
		for _, kind := range []string{k, k + "List"} {
			gvk := v1beta1.GroupVersion.WithKind(kind)
			obj, err := s.New(gvk)
			if err != nil {
				t.Errorf("%s: %v", kind, err)
				continue
			}
			if cp := obj.DeepCopyObject(); cp == nil {
				t.Errorf("%s: DeepCopyObject returned nil", kind)
			}
		}
	}
	if got := v1beta1.Resource("applications"); got.Group != "core.oam.dev" || got.Resource != "applications" {
		t.Errorf("Resource(applications) = %v", got)
	}
}

// TestConformanceDecodesStrictlyAndRoundTrips decodes every core.oam.dev document of the
// KubeVela corpus into its Go type, refusing unknown fields, and checks that encoding the
// typed object again keeps every field and value of the original.
func TestConformanceDecodesStrictlyAndRoundTrips(t *testing.T) {
	s := newScheme(t)
	perKind := map[string]int{}
	for _, d := range loadConformance(t) {
		gv, err := schema.ParseGroupVersion(d.api)
		if err != nil || gv.Group != v1beta1.Group {
			continue
		}
		t.Run(d.String(), func(t *testing.T) {
			decodeStrict(t, s, d)
			perKind[d.kind]++
		})
	}
	t.Logf("decoded per kind: %v", perKind)
	for _, k := range []string{"Application", "ComponentDefinition", "TraitDefinition", "WorkflowStepDefinition"} {
		if perKind[k] == 0 {
			t.Errorf("corpus yielded no %s: is the conformance directory complete?", k)
		}
	}
}

// decodeStrict decodes d into its Go type, refusing unknown fields, and fails the test if
// encoding the typed object again loses or changes any field of the document.
func decodeStrict(t *testing.T, s *runtime.Scheme, d yamlDoc) runtime.Object {
	t.Helper()
	if d.api != v1beta1.GroupVersion.String() {
		t.Fatalf("apiVersion %s is not %s", d.api, v1beta1.GroupVersion)
	}
	obj, err := s.New(v1beta1.GroupVersion.WithKind(d.kind))
	if err != nil {
		t.Fatalf("kind %s is not served: %v", d.kind, err)
	}
	if err := yaml.UnmarshalStrict(d.raw, obj); err != nil {
		t.Fatalf("strict decode: %v", err)
	}
	out, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	for _, l := range lostFields(d.obj, back, "") {
		t.Errorf("round trip changed %s", l)
	}
	return obj
}

func TestStrictDecodeRejectsUnknownField(t *testing.T) {
	doc := []byte(`apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: x}
spec:
  components:
  - name: a
    type: webservice
    propertys: {image: nginx}
`)
	var app v1beta1.Application
	if err := yaml.UnmarshalStrict(doc, &app); err == nil {
		t.Fatal("a misspelt component field was accepted")
	}
}

func TestPropertiesKeptVerbatim(t *testing.T) {
	doc := []byte(`apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: x}
spec:
  components:
  - name: a
    type: webservice
    properties: {image: nginx, ports: [{port: 80, expose: true}], x-anything: {deep: [1, "two"]}}
    traits:
    - type: scaler
      properties: {replicas: 3}
  policies:
  - {name: t, type: topology, properties: {clusters: [local]}}
  workflow:
    mode: {steps: DAG, subSteps: StepByStep}
    steps:
    - name: g
      type: step-group
      if: always
      timeout: 1m
      meta: {alias: Group}
      subSteps:
      - {name: s1, type: suspend, properties: {duration: 5s}}
`)
	var app v1beta1.Application
	if err := yaml.UnmarshalStrict(doc, &app); err != nil {
		t.Fatal(err)
	}
	var props map[string]any
	if err := json.Unmarshal(app.Spec.Components[0].Properties.Raw, &props); err != nil {
		t.Fatal(err)
	}
	if props["image"] != "nginx" || props["x-anything"] == nil {
		t.Errorf("properties = %v", props)
	}
	wf := app.Spec.Workflow
	if wf.Mode.Steps != v1beta1.WorkflowModeDAG || wf.Mode.SubSteps != v1beta1.WorkflowModeStep {
		t.Errorf("mode = %+v", wf.Mode)
	}
	g := wf.Steps[0]
	if g.If != "always" || g.Timeout != "1m" || g.Meta.Alias != "Group" || len(g.SubSteps) != 1 ||
		g.SubSteps[0].Type != "suspend" {
		t.Errorf("step = %+v", g)
	}
	cp := app.DeepCopy()
	cp.Spec.Components[0].Properties.Raw[0] = 'X'
	if app.Spec.Components[0].Properties.Raw[0] == 'X' {
		t.Error("DeepCopy shares the properties bytes")
	}
}
