package controller

import (
	"reflect"
	"testing"
)

func TestWithoutManagedFieldsCopiesAndLeavesTheLiveObject(t *testing.T) {
	live := map[string]any{
		"kind":     "Deployment",
		"metadata": map[string]any{"name": "web", "managedFields": []any{map[string]any{"manager": "velad"}}},
		"status":   map[string]any{"readyReplicas": int64(1)},
	}
	got := withoutManagedFields(live)
	want := map[string]any{
		"kind":     "Deployment",
		"metadata": map[string]any{"name": "web"},
		"status":   map[string]any{"readyReplicas": int64(1)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("withoutManagedFields = %v, want %v", got, want)
	}
	if _, ok := live["metadata"].(map[string]any)["managedFields"]; !ok {
		t.Fatal("the live object itself must keep its managedFields")
	}
	plain := map[string]any{"metadata": map[string]any{"name": "web"}}
	if got := withoutManagedFields(plain); reflect.ValueOf(got).Pointer() != reflect.ValueOf(plain).Pointer() {
		t.Fatal("an object without managedFields is returned as it is, not copied")
	}
}
