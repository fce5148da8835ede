package application

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

// OneComponent builds an Application with a single component of type typ named like the
// Application, with properties (for example image and port of a webservice).
func OneComponent(name, namespace, typ string, properties map[string]any) *unstructured.Unstructured {
	comp := map[string]any{"name": name, "type": typ}
	if len(properties) > 0 {
		comp["properties"] = properties
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{"components": []any{comp}},
	}}
	u.SetGroupVersionKind(v1beta1.ApplicationGroupVersionKind)
	u.SetName(name)
	u.SetNamespace(namespace)
	return u
}
