package workflow

import (
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestFilterOptionsNarrowListsAndDeletes(t *testing.T) {
	in := map[string]any{"filter": map[string]any{"namespace": "ns1", "matchingLabels": map[string]any{"app": "web", "n": 1}}}
	list := &client.ListOptions{}
	del := &client.DeleteAllOfOptions{}
	for _, o := range filterOptions(in) {
		o.ApplyToList(list)
		o.ApplyToDeleteAllOf(del)
	}
	for what, lo := range map[string]*client.ListOptions{"list": list, "delete": &del.ListOptions} {
		if lo.Namespace != "ns1" || lo.LabelSelector == nil || lo.LabelSelector.String() != "app=web,n=1" {
			t.Errorf("%s options: namespace %q, labels %v", what, lo.Namespace, lo.LabelSelector)
		}
	}
	if opts := filterOptions(map[string]any{}); len(opts) != 0 {
		t.Errorf("no filter gave %v", opts)
	}
}
