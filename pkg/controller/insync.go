package controller

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/cue"
)

// inSync reports whether applying the manifest m would leave the object live
// (its unstructured form) as it is: every field m sets has the same value in
// live (labels and annotations included; the fields the API server adds, such
// as defaults and status, are not looked at). Anything it cannot tell equal,
// such as a quantity written in another form or metadata other than labels
// and annotations, counts as a difference, so the caller applies.
func inSync(m, live *unstructured.Unstructured) bool {
	for k, want := range m.Object {
		switch k {
		case "apiVersion", "kind", "status":
			// apiVersion and kind chose the cached kind; status is not applied.
			continue
		case "metadata":
			if !metadataInSync(m, live) {
				return false
			}
		default:
			if !subset(want, live.Object[k]) {
				return false
			}
		}
	}
	return true
}

// cachedInSync is the cached copy of m's object as unstructured when it
// holds every value of m (inSync); nil otherwise.
func cachedInSync(m *unstructured.Unstructured, cached client.Object) *unstructured.Unstructured {
	live, err := asUnstructured(cached, m)
	if err != nil || !inSync(m, live) {
		return nil
	}
	return live
}

// asUnstructured is the typed object obj as unstructured, of o's apiVersion
// and kind (a typed object from the cache carries none).
func asUnstructured(obj client.Object, o *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	data, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: data}
	u.SetGroupVersionKind(o.GroupVersionKind())
	return u, nil
}

// metadataInSync compares what an apply of m sets in metadata: its labels and
// annotations (the name and namespace found live). Any other metadata in m
// (owner references, finalizers) counts as a difference.
func metadataInSync(m, live *unstructured.Unstructured) bool {
	meta, _ := m.Object["metadata"].(map[string]any)
	for k := range meta {
		switch k {
		case "name", "namespace", "labels", "annotations", "creationTimestamp", "resourceVersion", "managedFields":
		default:
			return false
		}
	}
	return stringsSubset(m.GetLabels(), live.GetLabels()) && stringsSubset(m.GetAnnotations(), live.GetAnnotations())
}

// stringsSubset reports whether every key of want has the same value in have.
func stringsSubset(want, have map[string]string) bool {
	for k, v := range want {
		if hv, ok := have[k]; !ok || hv != v {
			return false
		}
	}
	return true
}

// subset reports whether the JSON value want is contained in have: maps by
// key (a null in want matches an absent key), lists element by element with
// the same length, scalars as cue.SameScalar (numbers by value).
func subset(want, have any) bool {
	switch w := want.(type) {
	case nil:
		return have == nil
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range w {
			if !subset(v, h[k]) {
				return false
			}
		}
		return true
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			return false
		}
		for i := range w {
			if !subset(w[i], h[i]) {
				return false
			}
		}
		return true
	}
	return cue.SameScalar(want, have)
}
