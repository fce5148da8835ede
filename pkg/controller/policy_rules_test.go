package controller

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

func obj(kind, name string, labels map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetAPIVersion("v1")
	u.SetKind(kind)
	u.SetName(name)
	u.SetLabels(labels)
	return u
}

func TestSelectorMatch(t *testing.T) {
	web := obj("Deployment", "web", map[string]string{
		"app.oam.dev/component": "web", "workload.oam.dev/type": "webservice", "app.oam.dev/resourceType": "WORKLOAD",
	})
	svc := obj("Service", "web", map[string]string{
		"app.oam.dev/component": "web", "trait.oam.dev/type": "expose", "app.oam.dev/resourceType": "TRAIT",
	})
	for _, tc := range []struct {
		name     string
		sel      resourceSelector
		web, svc bool
	}{
		{"empty selects nothing", resourceSelector{}, false, false},
		{"component name", resourceSelector{ComponentNames: []string{"web"}}, true, true},
		{"component type", resourceSelector{ComponentTypes: []string{"webservice"}}, true, false},
		{"trait type", resourceSelector{TraitTypes: []string{"expose"}}, false, true},
		{"oam type", resourceSelector{OAMTypes: []string{"TRAIT"}}, false, true},
		{"resource type", resourceSelector{ResourceTypes: []string{"Deployment"}}, true, false},
		{"all conditions must hold", resourceSelector{ComponentNames: []string{"web"}, ResourceTypes: []string{"Service"}}, false, true},
		{"resource name", resourceSelector{ResourceNames: []string{"other"}}, false, false},
	} {
		if got := tc.sel.match(web); got != tc.web {
			t.Errorf("%s: deployment matched %v", tc.name, got)
		}
		if got := tc.sel.match(svc); got != tc.svc {
			t.Errorf("%s: service matched %v", tc.name, got)
		}
	}
}

func policy(typ, props string) v1beta1.AppPolicy {
	return v1beta1.AppPolicy{Name: typ, Type: typ, Properties: &runtime.RawExtension{Raw: []byte(props)}}
}

func TestParseResourcePolicies(t *testing.T) {
	app := &v1beta1.Application{}
	app.Spec.Policies = []v1beta1.AppPolicy{
		policy("garbage-collect", `{"keepLegacyResource":true,"order":"dependency","rules":[{"selector":{"traitTypes":["expose"]},"strategy":"onAppDelete","propagation":"orphan"},{"selector":{"resourceTypes":["Service"]},"strategy":"never"}]}`),
		policy("apply-once", `{"enable":true,"rules":[{"selector":{"resourceTypes":["Deployment"]},"strategy":{"path":["spec.replicas"],"affect":"onStateKeep"}}]}`),
		policy("shared-resource", `{"rules":[{"selector":{"resourceTypes":["Namespace"]}}]}`),
		policy("topology", `{"clusters":["local"]}`),
	}
	p, err := parseResourcePolicies(app)
	if err != nil {
		t.Fatal(err)
	}
	svc := obj("Service", "web", map[string]string{"trait.oam.dev/type": "expose"})
	if s, prop := p.gcStrategy(svc); s != gcOnAppDelete || prop != propagationOrphan {
		t.Errorf("first matching rule should win: %s %s", s, prop)
	}
	if s, _ := p.gcStrategy(obj("ConfigMap", "x", nil)); s != gcOnAppUpdate {
		t.Errorf("default strategy %s", s)
	}
	if !p.gc.KeepLegacyResource || p.gc.Order != gcOrderDependency {
		t.Errorf("gc %+v", p.gc)
	}
	s := p.applyOnceFor(obj("Deployment", "web", nil))
	if s == nil || s.covers(affectOnUpdate) || !s.covers(affectOnStateKeep) || s.whole() {
		t.Errorf("apply-once strategy %+v", s)
	}
	if p.applyOnceAll() {
		t.Error("apply-once with rules is not for the whole app")
	}
	if !p.isShared(obj("Namespace", "ns", nil)) || p.isShared(svc) {
		t.Error("shared-resource selection")
	}

	app.Spec.Policies = []v1beta1.AppPolicy{policy("garbage-collect", `{"rules":[{"selector":{"componentNames":["a"]},"strategy":"sometimes"}]}`)}
	if _, err := parseResourcePolicies(app); err == nil || !strings.Contains(err.Error(), `strategy "sometimes"`) {
		t.Errorf("bad strategy: %v", err)
	}
}

func TestKeepPaths(t *testing.T) {
	want := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"replicas": int64(1), "paused": true}}}
	live := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"replicas": int64(4)}}}
	keepPaths(want, live, []string{"spec.replicas", "spec.paused"})
	spec := want.Object["spec"].(map[string]any)
	if spec["replicas"] != int64(4) {
		t.Errorf("replicas %v, want the live 4", spec["replicas"])
	}
	if _, ok := spec["paused"]; ok {
		t.Error("a path the live object lacks should be left to the live object")
	}
}

func TestKeepPathsWithListIndex(t *testing.T) {
	container := func(cpu string) map[string]any {
		return map[string]any{"name": "web", "image": "nginx", "resources": map[string]any{"limits": map[string]any{"cpu": cpu}}}
	}
	want := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		"containers": []any{container("1")}}}}}}
	live := want.DeepCopy()
	live.Object["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"] = []any{container("3")}
	keepPaths(want, live, []string{"spec.template.spec.containers[0].resources"})
	got, _ := getPath(want.Object, parsePath("spec.template.spec.containers[0].resources.limits.cpu"))
	if got != "3" {
		t.Errorf("cpu %v, want the live 3", got)
	}
	if segs := parsePath("a.b[2][0].c"); len(segs) != 5 || segs[2].index != 2 || segs[3].index != 0 || segs[4].key != "c" {
		t.Errorf("parsePath: %+v", segs)
	}
}
