package cue

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	k8sjson "k8s.io/apimachinery/pkg/util/json"
)

func TestApplyPatchStrategies(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"a": "1"}},
			"spec": map[string]any{
				"replicas": int64(1),
				"template": map[string]any{"spec": map[string]any{
					"containers": []any{map[string]any{"name": "web", "image": "nginx:1", "env": []any{
						map[string]any{"name": "MODE", "value": "prod"},
					}}},
					"resources": map[string]any{"cpu": "1", "memory": "1Gi"},
				}},
			},
		}
	}
	cases := []struct {
		name, tmpl, want, err string
	}{
		{name: "merge structs", tmpl: `patch: metadata: labels: b: "2"`, want: `"labels":{"a":"1","b":"2"}`},
		{name: "equal scalar agrees", tmpl: `patch: spec: replicas: 1`, want: `"replicas":1`},
		{name: "conflict", tmpl: `patch: spec: replicas: 3`, err: "spec.replicas: conflicting values 3 (from the patch) and 1 (already set)"},
		{name: "retainKeys on a scalar overrides", tmpl: "// +patchStrategy=retainKeys\npatch: spec: replicas: 3", want: `"replicas":3`},
		{name: "retainKeys on a struct replaces it", tmpl: `patch: spec: template: spec: {
	// +patchStrategy=retainKeys
	resources: {cpu: "2"}
}`, want: `"resources":{"cpu":"2"}`},
		{name: "patchKey merges by name, nested lists inherit it", tmpl: `patch: spec: template: spec: {
	// +patchKey=name
	containers: [{name: "web", env: [{name: "DEBUG", value: "1"}]}, {name: "sidecar", image: "envoy"}]
}`, want: `"containers":[{"env":[{"name":"MODE","value":"prod"},{"name":"DEBUG","value":"1"}],"image":"nginx:1","name":"web"},{"image":"envoy","name":"sidecar"}]`},
		{name: "patchKey with retainKeys replaces the matched item", tmpl: `patch: spec: template: spec: {
	// +patchKey=name
	containers: [{
		name: "web"
		// +patchKey=name
		// +patchStrategy=retainKeys
		env: [{name: "MODE", value: "dev"}]
	}]
}`, want: `"env":[{"name":"MODE","value":"dev"}]`},
		{name: "replace swaps a list", tmpl: `patch: spec: template: spec: {
	// +patchStrategy=replace
	containers: [{name: "other", image: "busybox"}]
}`, want: `"containers":[{"image":"busybox","name":"other"}]`},
		{name: "list length mismatch without key", tmpl: `patch: spec: template: spec: containers: [{name: "a"}, {name: "b"}]`,
			err: "spec.template.spec.containers: cannot merge a list of 2 items into a list of 1 items"},
		{name: "patchKey inside a for comprehension", tmpl: `_names: ["web"]
patch: spec: template: spec: {
	// +patchKey=name
	containers: [for n in _names {
		name: n
		// +patchStrategy=retainKeys
		image: "nginx:2"
	}]
}`, want: `"image":"nginx:2"`},
		{name: "json merge patch", tmpl: "// +patchStrategy=jsonMergePatch\npatch: {spec: replicas: 5, metadata: labels: a: null}", want: `"replicas":5`},
		{name: "json patch", tmpl: "// +patchStrategy=jsonPatch\npatch: operations: [{op: \"replace\", path: \"/spec/replicas\", value: 7}, {op: \"remove\", path: \"/metadata/labels/a\"}]", want: `"replicas":7`},
		{name: "json patch error", tmpl: "// +patchStrategy=jsonPatch\npatch: operations: [{op: \"remove\", path: \"/nope\"}]", err: "applying JSON patch"},
	}
	e := newEngine(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.Render(context.Background(), tc.tmpl, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			b := base()
			out, err := ApplyPatch(b, res.Patch)
			owned, oerr := MergePatchOwned(base(), nil, res.Patch)
			if fmt.Sprint(oerr) != fmt.Sprint(err) || (err == nil && !reflect.DeepEqual(owned, out)) {
				t.Errorf("MergePatchOwned gave %v, %v; ApplyPatch %v, %v", owned, oerr, out, err)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			js, _ := json.Marshal(out)
			if !strings.Contains(string(js), tc.want) {
				t.Errorf("patched object %s\nlacks %s", js, tc.want)
			}
			if orig, _ := json.Marshal(b); string(orig) != mustJSON(base()) {
				t.Errorf("ApplyPatch modified its input")
			}
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestRenderCacheReturnsCopies(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	p := map[string]any{"image": "nginx"}
	first, err := e.Render(ctx, workerTmpl, p, &Context{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	first.Output["kind"] = "Mutated"
	second, err := e.Render(ctx, workerTmpl, p, &Context{Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	if second.Output["kind"] != "Deployment" {
		t.Errorf("cached result was shared with the caller: kind = %v", second.Output["kind"])
	}
	if _, err := e.Render(ctx, workerTmpl, map[string]any{}, &Context{Name: "web"}); err == nil {
		t.Error("want the missing parameter error")
	}
	if _, err := e.Render(ctx, workerTmpl, map[string]any{}, &Context{Name: "web"}); err == nil ||
		!strings.Contains(err.Error(), "parameter.image") {
		t.Errorf("cached error = %v", err)
	}
}

// TestRenderCacheKeepsParameterApart: a result cached for a render
// WithoutParameter is not handed to one that wants the parameter, nor the reverse.
func TestRenderCacheKeepsParameterApart(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	p := map[string]any{"image": "nginx"}
	for i, opts := range [][]RenderOption{{WithoutParameter()}, nil, {WithoutParameter()}, nil} {
		res, err := e.Render(ctx, workerTmpl, p, &Context{Name: "web"}, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if want := opts == nil; (res.Parameter != nil) != want || (want && res.Parameter["image"] != "nginx") {
			t.Errorf("render %d: parameter %v, want one: %v", i, res.Parameter, want)
		}
	}
}

func TestMergePatchOverridesDefaults(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	comp := `
output: spec: {
	replicas: *1 | int
	strategy: parameter.strategy
	ports: [{containerPort: 80, protocol: *"TCP" | "UDP"}]
}
parameter: strategy: *"RollingUpdate" | "Recreate"`
	trait, err := e.Render(ctx, `patch: spec: {replicas: 3, strategy: "Recreate", ports: [{protocol: "UDP"}]}`, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Render(ctx, comp, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"spec.replicas", "spec.strategy", "spec.ports[0].protocol"} {
		if !res.OutputDefaults[p] {
			t.Errorf("%s not recorded as a default: %v", p, res.OutputDefaults)
		}
	}
	out, err := MergePatch(res.Output, res.OutputDefaults, trait.Patch)
	if err != nil {
		t.Fatalf("a patch must override CUE defaults: %v", err)
	}
	if got := mustJSON(out["spec"]); got != `{"ports":[{"containerPort":80,"protocol":"UDP"}],"replicas":3,"strategy":"Recreate"}` {
		t.Errorf("patched spec = %s", got)
	}
	// a value the user chose is not a default: patching it is a conflict
	res, err = e.Render(ctx, comp, map[string]any{"strategy": "RollingUpdate"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MergePatch(res.Output, res.OutputDefaults, trait.Patch); err == nil || !strings.Contains(err.Error(), "spec.strategy: conflicting values") {
		t.Errorf("want a conflict on the user's value, got %v", err)
	}
}

func TestMemoEvicts(t *testing.T) {
	m := newMemo(8)
	for i := 0; i < 100; i++ {
		m.put(strings.Repeat("k", i+1), &Result{}, nil)
		if len(m.entries) > 8 {
			t.Fatalf("memo grew to %d entries, bound is 8", len(m.entries))
		}
	}
	if _, _, ok := m.get(strings.Repeat("k", 100)); !ok {
		t.Error("the newest entry must be present")
	}
}

// TestJSONMergeMatchesLibrary: the Go-value merge patch gives what
// jsonpatch.MergePatch gives on the encodings.
func TestJSONMergeMatchesLibrary(t *testing.T) {
	bases := []string{
		`{}`,
		`{"a":1,"b":{"c":"d","e":null,"f":[1,{"g":null}]},"h":[{"i":1}],"n":null,"x":2.5,"y":3}`,
		`{"metadata":{"labels":{"a":"b","c":"d"}},"spec":{"template":{"metadata":{"labels":{"a":"b"}}}}}`,
	}
	patches := []string{
		`{}`,
		`{"a":null}`,
		`{"a":{"z":null,"w":1}}`,
		`{"b":{"c":null,"e":{"p":null,"q":[null,{"r":null,"s":1}]},"f":{"k":null}}}`,
		`{"h":{"i":null}}`,
		`{"n":{"m":null,"o":2}}`,
		`{"new":{"a":null,"b":[{"c":null}],"d":{"e":null}}}`,
		`{"b":[{"c":null}],"x":4,"y":2.5}`,
		`{"metadata":{"labels":{"a":null,"e":"f"}},"spec":{"template":{"metadata":{"labels":{"a":null,"e":"f"}}}}}`,
	}
	for _, bs := range bases {
		for _, ps := range patches {
			var base map[string]any
			var patch any
			if err := k8sjson.Unmarshal([]byte(bs), &base); err != nil {
				t.Fatal(err)
			}
			if err := k8sjson.Unmarshal([]byte(ps), &patch); err != nil {
				t.Fatal(err)
			}
			base["float"] = 4.0 // integral floats come back as int64 from the encoding
			want, err := jsonMergeEncoded(base, patch)
			if err != nil {
				t.Fatal(err)
			}
			before := fmt.Sprint(base)
			got, err := jsonMerge(base, patch)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s + %s:\n got %#v\nwant %#v", bs, ps, got, want)
			}
			if fmt.Sprint(base) != before {
				t.Errorf("%s + %s: base modified", bs, ps)
			}
		}
	}
}
