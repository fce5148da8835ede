package controller

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func TestKeepsCompression(t *testing.T) {
	crd := func(spec string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(`
spec:
  versions:
  - name: v1alpha1
    schema: {openAPIV3Schema: {properties: {spec: {type: object, x-kubernetes-preserve-unknown-fields: true}}}}
  - name: v1beta1
    schema:
      openAPIV3Schema:
        properties:
          spec: `+spec), &u.Object); err != nil {
			t.Fatal(err)
		}
		return u
	}
	for _, tc := range []struct {
		spec string
		want bool
	}{
		{`{type: object, properties: {compression: {type: object}, application: {type: object}}}`, true},
		{`{type: object, x-kubernetes-preserve-unknown-fields: true}`, true},
		{`{type: object, properties: {application: {type: object}}}`, false},
	} {
		if got := keepsCompression(crd(tc.spec)); got != tc.want {
			t.Errorf("keepsCompression(spec %s) = %v, want %v", tc.spec, got, tc.want)
		}
	}
}
