package deffile

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const src = `import "strconv"

"my-scaler": {
	type:        "trait"
	description: "Scale the workload"
	labels: "ui-hidden": "true"
	attributes: {
		appliesToWorkloads: ["deployments.apps"]
		podDisruptive:      false
		status: healthPolicy: "isHealth: true"
	}
}
template: {
	// +patchStrategy=retainKeys
	patch: spec: replicas: parameter.replicas
	patch: metadata: annotations: "replicas": strconv.FormatInt(parameter.replicas, 10)
	parameter: replicas: *1 | int
}
`

func TestToObjectAndBack(t *testing.T) {
	obj, err := ToObject(src)
	if err != nil {
		t.Fatal(err)
	}
	if obj.GetKind() != "TraitDefinition" || obj.GetName() != "my-scaler" || obj.GetAPIVersion() != APIVersion {
		t.Fatalf("object = %s %s %s", obj.GetAPIVersion(), obj.GetKind(), obj.GetName())
	}
	if obj.GetAnnotations()[descriptionAnnotation] != "Scale the workload" || obj.GetLabels()["ui-hidden"] != "true" {
		t.Errorf("metadata = %v %v", obj.GetAnnotations(), obj.GetLabels())
	}
	applies, _, _ := unstructured.NestedStringSlice(obj.Object, "spec", "appliesToWorkloads")
	hp, _, _ := unstructured.NestedString(obj.Object, "spec", "status", "healthPolicy")
	if len(applies) != 1 || hp != "isHealth: true" {
		t.Errorf("spec = %v", obj.Object["spec"])
	}
	tmpl, _, _ := unstructured.NestedString(obj.Object, "spec", "schematic", "cue", "template")
	for _, want := range []string{`import "strconv"`, "// +patchStrategy=retainKeys", "patch: spec: replicas: parameter.replicas", "parameter: replicas: *1 | int"} {
		if !strings.Contains(tmpl, want) {
			t.Errorf("template lacks %q:\n%s", want, tmpl)
		}
	}
	back, err := FromObject(obj)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ToObject(back)
	if err != nil {
		t.Fatalf("round trip does not parse: %v\n%s", err, back)
	}
	tmpl2, _, _ := unstructured.NestedString(again.Object, "spec", "schematic", "cue", "template")
	if tmpl2 != tmpl || again.GetName() != "my-scaler" || again.GetKind() != "TraitDefinition" {
		t.Errorf("round trip changed the definition:\n%s\n---\n%s", tmpl, tmpl2)
	}
}

func TestToObjectErrors(t *testing.T) {
	for in, want := range map[string]string{
		`x: {type: "gadget"}` + "\ntemplate: {}": `type "gadget" is not one of`,
		`x: {type: "trait"}`:                     `no template block`,
		`template: {}`:                           `no definition block`,
	} {
		if _, err := ToObject(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}
