package cue

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
)

const workerTmpl = `
import apps "kube/apps/v1"

output: apps.#Deployment & {
	metadata: labels: "app.oam.dev/appRevision": context.appRevision
	spec: {
		replicas: parameter.replicas
		template: spec: containers: [{
			name:  context.name
			image: parameter.image
			if parameter.env != _|_ {
				env: parameter.env
			}
		}]
	}
}
outputs: cfg: {
	apiVersion: "v1"
	kind:       "ConfigMap"
	metadata: name: context.name + "-cfg"
	data: app: context.appName
}
parameter: {
	image:     string
	replicas:  *1 | int & >0
	env?: [...{name: string, value?: string}]
}
`

func newEngine(t testing.TB) *Engine {
	t.Helper()
	e, err := New(WithWorkers(2))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRenderComponent(t *testing.T) {
	e := newEngine(t)
	res, err := e.Render(context.Background(), workerTmpl,
		map[string]any{"image": "nginx", "env": []any{map[string]any{"name": "A", "value": "1"}}},
		&Context{Name: "web", AppName: "app", AppRevision: "app-v1"})
	if err != nil {
		t.Fatal(err)
	}
	out := res.Output
	if out["apiVersion"] != "apps/v1" || out["kind"] != "Deployment" {
		t.Fatalf("kube import did not set apiVersion/kind: %v", out)
	}
	spec := out["spec"].(map[string]any)
	if spec["replicas"] != int64(1) {
		t.Errorf("default replicas = %#v, want int64 1", spec["replicas"])
	}
	c := spec["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	if c["image"] != "nginx" || c["name"] != "web" {
		t.Errorf("container = %v", c)
	}
	if len(res.Outputs) != 1 || res.Outputs[0].Name != "cfg" ||
		res.Outputs[0].Object["metadata"].(map[string]any)["name"] != "web-cfg" {
		t.Errorf("outputs = %+v", res.Outputs)
	}
}

func TestRenderParameterErrors(t *testing.T) {
	e := newEngine(t)
	cases := []struct {
		name   string
		params map[string]any
		want   []string
	}{
		{"missing", map[string]any{}, []string{"parameter.image", "required field is missing"}},
		{"wrong type", map[string]any{"image": "x", "replicas": "three"}, []string{"parameter.replicas", "conflicting values"}},
		{"constraint", map[string]any{"image": "x", "replicas": 0}, []string{"parameter.replicas", "invalid value 0"}},
		{"nested missing", map[string]any{"image": "x", "env": []any{map[string]any{"value": "v"}}}, []string{"parameter.env[0].name", "required field is missing"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Render(context.Background(), workerTmpl, tc.params, &Context{Name: "web"})
			if err == nil {
				t.Fatal("expected an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestRenderErrsAndIncompleteOutput(t *testing.T) {
	e := newEngine(t)
	_, err := e.Render(context.Background(), `
parameter: port: int
errs: [if parameter.port > 1024 {"port must be <= 1024"}]
output: {apiVersion: "v1", kind: "Service"}`, map[string]any{"port": 8080}, nil)
	if err == nil || !strings.Contains(err.Error(), "errs: port must be <= 1024") {
		t.Fatalf("errs not reported: %v", err)
	}
	_, err = e.Render(context.Background(), `
parameter: {name?: string}
output: {apiVersion: "v1", kind: "ConfigMap", metadata: name: string}`, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "output.metadata.name: incomplete value string") {
		t.Fatalf("incomplete output not reported: %v", err)
	}
}

func TestRenderTraitSeesOutput(t *testing.T) {
	e := newEngine(t)
	tmpl := `
patch: {
	spec: template: spec: {
		// +patchKey=name
		containers: [{
			name: context.name
			// +patchKey=name
			env: [for k, v in parameter.env {name: k, value: v}]
		}]
	}
	metadata: annotations: "replicas-seen": "\(context.output.spec.replicas)"
}
parameter: env: [string]: string
`
	base := map[string]any{"spec": map[string]any{"replicas": int64(2), "template": map[string]any{"spec": map[string]any{
		"containers": []any{map[string]any{"name": "web", "image": "nginx", "env": []any{map[string]any{"name": "OLD", "value": "old"}}}},
	}}}}
	res, err := e.Render(context.Background(), tmpl, map[string]any{"env": map[string]any{"NEW": "new"}},
		&Context{Name: "web", Output: base})
	if err != nil {
		t.Fatal(err)
	}
	if res.Patch.Tags["spec.template.spec.containers"].PatchKey != "name" {
		t.Fatalf("patchKey tag not found: %+v", res.Patch.Tags)
	}
	out, err := ApplyPatch(base, res.Patch)
	if err != nil {
		t.Fatal(err)
	}
	c := out["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)
	if len(c) != 1 {
		t.Fatalf("containers not merged by key: %v", c)
	}
	env := c[0].(map[string]any)["env"].([]any)
	if len(env) != 2 || c[0].(map[string]any)["image"] != "nginx" {
		t.Errorf("env = %v", env)
	}
	if out["metadata"].(map[string]any)["annotations"].(map[string]any)["replicas-seen"] != "2" {
		t.Errorf("context.output not visible: %v", out["metadata"])
	}
}

func TestEngineConcurrent(t *testing.T) {
	e := newEngine(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.Render(context.Background(), workerTmpl, map[string]any{"image": "nginx"}, &Context{Name: "web"})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// A nil in the parameter (JSON null in the Application) is CUE null, so a
// patch can delete a key; it used to become top and unify with anything.
func TestRenderNilParameterIsNull(t *testing.T) {
	e := newEngine(t)
	tmpl := `
patch: metadata: labels: parameter
parameter: [string]: string | null
`
	res, err := e.Render(context.Background(), tmpl, map[string]any{"keep": "v", "gone": nil}, nil)
	if err != nil {
		t.Fatal(err)
	}
	labels := res.Patch.Value.(map[string]any)["metadata"].(map[string]any)["labels"].(map[string]any)
	if v, ok := labels["gone"]; !ok || v != nil || labels["keep"] != "v" {
		t.Fatalf("labels = %#v, want keep=v and gone=null", labels)
	}
	if _, err := e.Render(context.Background(), "parameter: n: int\noutput: {n: parameter.n}", map[string]any{"n": nil}, nil); err == nil {
		t.Fatal("a null for an int parameter was accepted")
	}
}

// TestContextProjection: a template gets only the context paths it selects,
// each kept whole from where its selector chain ends.
func TestContextProjection(t *testing.T) {
	c := &Context{Name: "web", AppName: "app", Output: map[string]any{
		"kind":     "Deployment",
		"metadata": map[string]any{"name": "web", "labels": map[string]any{"a": "b"}},
		"spec":     map[string]any{"replicas": 2, "template": map[string]any{"spec": map[string]any{"containers": []any{"c"}}}},
	}}
	src := `x: context.output.spec.template.spec.containers
y: context.output.metadata.labels["a"]
z: "\(context.name)"`
	tc := &compiled{ctxPaths: contextKeys(src)}
	got := tc.context(c)
	want := map[string]any{"name": "web", "output": map[string]any{
		"metadata": map[string]any{"labels": map[string]any{"a": "b"}},
		"spec":     map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{"c"}}}},
	}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("projected context:\n got %v\nwant %v", got, want)
	}
	// A shorter chain keeps its whole subtree; any other use of context keeps everything.
	tc = &compiled{ctxPaths: contextKeys(src + "\nw: context.output.spec")}
	if spec := tc.context(c)["output"].(map[string]any)["spec"]; !reflect.DeepEqual(spec, c.Output["spec"]) {
		t.Fatalf("context.output.spec not whole: %v", spec)
	}
	// A chain only tested for existence keeps no fields of its own.
	tc = &compiled{ctxPaths: contextKeys("if context.output.spec != _|_ && context.output.spec.template == _|_ {}\nif context.output.status != _|_ {}\nm: context.output.metadata")}
	want = map[string]any{"output": map[string]any{"metadata": c.Output["metadata"], "spec": map[string]any{"template": map[string]any{}}}}
	if got := tc.context(c); !reflect.DeepEqual(got, want) {
		t.Fatalf("existence-only chains:\n got %v\nwant %v", got, want)
	}
	tc = &compiled{ctxPaths: contextKeys("if context.output.spec != _|_ {}\nw: context.output.spec")}
	if spec := tc.context(c)["output"].(map[string]any)["spec"]; !reflect.DeepEqual(spec, c.Output["spec"]) {
		t.Fatalf("context.output.spec used as a value too, but not whole: %v", spec)
	}
	for _, other := range []string{`w: context["output"]`, `w: context.output["spec"]`, `w: context.output & {}`, `w: context`} {
		tc = &compiled{ctxPaths: contextKeys(src + "\n" + other)}
		if out := tc.context(c)["output"]; !reflect.DeepEqual(out, c.Output) {
			t.Errorf("%s: context.output not whole: %v", other, out)
		}
	}
}

// TestContextLookupIsMap: the projected context reads single keys (lookup)
// instead of building Map; every key must read as Map has it, set or not, with
// Extra overriding and adding keys.
func TestContextLookupIsMap(t *testing.T) {
	full := &Context{
		Name: "web", AppName: "app", Namespace: "ns", AppRevision: "app-v2", AppRevisionNum: 2, Revision: "web-v2",
		ComponentType: "webservice", AppLabels: map[string]string{"l": "1"}, AppAnnotations: map[string]string{"a": "2"},
		PublishVersion: "p1", Cluster: "c1", ReplicaKey: "r1", WorkflowName: "app",
		ClusterVersion: &ClusterVersion{Major: 1, Minor: 37, GitVersion: "v1.37.2", Platform: "linux/amd64"},
		Components:     []map[string]any{{"name": "web"}}, Artifacts: map[string]any{"x": 1},
		Output: map[string]any{"kind": "Deployment"}, Outputs: map[string]any{"svc": map[string]any{}},
	}
	extra := *full
	extra.Extra = map[string]any{"name": "other", "output": nil, "custom": []any{"c"}}
	for name, c := range map[string]*Context{"zero": {}, "full": full, "extra": &extra} {
		m := c.Map()
		keys := append(fieldKeys[:], "custom", "unknown")
		for _, k := range keys {
			want, wantOK := m[k]
			got, ok := c.lookup(k)
			if ok != wantOK || !reflect.DeepEqual(got, want) {
				t.Errorf("%s: lookup(%q) = %v, %v; Map has %v, %v", name, k, got, ok, want, wantOK)
			}
		}
		for k := range m {
			if _, ok := c.lookup(k); !ok {
				t.Errorf("%s: Map has %q, lookup does not", name, k)
			}
		}
		if got, want := len(m), map[string]int{"zero": 12, "full": 18, "extra": 19}[name]; got != want {
			t.Errorf("%s: Map has %d keys, want %d", name, got, want)
		}
	}
}

// TestRenderOutputDefaults: output leaves holding only a CUE default are reported
// (so traits may override them) in the same walk that decodes the output.
func TestRenderOutputDefaults(t *testing.T) {
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	src := `output: {a: *1 | int, b: [{x: *"d" | string, y: 2}], c: {d: *true | bool, e: parameter.e, f: 0.5}, g: 'hi'}
parameter: {e: *3 | int}`
	res, err := e.Render(context.Background(), src, map[string]any{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantOut := map[string]any{"a": int64(1), "b": []any{map[string]any{"x": "d", "y": int64(2)}},
		"c": map[string]any{"d": true, "e": int64(3), "f": 0.5}, "g": "aGk="}
	if !reflect.DeepEqual(res.Output, wantOut) {
		t.Errorf("output %#v, want %#v", res.Output, wantOut)
	}
	wantSoft := map[string]bool{"a": true, "b[0].x": true, "c.d": true, "c.e": true}
	if !reflect.DeepEqual(res.OutputDefaults, wantSoft) {
		t.Errorf("defaults %v, want %v", res.OutputDefaults, wantSoft)
	}
}

// TestBytesParameterInPatch: a parameter of Go type []byte reaching a patch
// decodes the same on the static-tag path as on the reference path (as text,
// not JSON's base64): the static path steps aside for inputs holding bytes.
func TestBytesParameterInPatch(t *testing.T) {
	const tmpl = "patch: spec: {\n\t// +patchKey=name\n\tcontainers: [{name: \"a\", data: parameter.data}]\n}\nparameter: data: _\n"
	for name, tc := range map[string]struct {
		data   any
		static bool
	}{
		"bytes":          {[]byte("hello"), false},
		"bytes in list":  {[]any{"a", []byte("b")}, false},
		"typed in slice": {[][]byte{[]byte("c")}, false},
		"string":         {"hello", true},
	} {
		t.Run(name, func(t *testing.T) {
			patchLikeReference(t, tmpl, map[string]any{"data": tc.data}, nil, tc.static)
		})
	}
}

// TestBytesContextInPatch: a []byte reaching a patch through the context (a
// caller's output or an Extra key) also turns the static-tag path off.
func TestBytesContextInPatch(t *testing.T) {
	for name, tc := range map[string]struct {
		tmpl   string
		c      *Context
		static bool
	}{
		"output bytes": {"patch: data: context.output.data\n", &Context{Output: map[string]any{"data": []byte("o")}}, false},
		"extra bytes":  {"patch: data: context.blob\n", &Context{Extra: map[string]any{"blob": []byte("x")}}, false},
		"output text":  {"patch: data: context.output.data\n", &Context{Output: map[string]any{"data": "o"}}, true},
	} {
		t.Run(name, func(t *testing.T) {
			patchLikeReference(t, tc.tmpl, nil, tc.c, tc.static)
		})
	}
}

// patchLikeReference renders tmpl's one patch on a default engine and on the
// reference road, requires the same patch, and that the default engine took
// the static-tag road exactly when static says so.
func patchLikeReference(t *testing.T, tmpl string, p map[string]any, c *Context, static bool) {
	t.Helper()
	fast := newEngine(t)
	ref, err := New(WithReferenceRendering())
	if err != nil {
		t.Fatal(err)
	}
	want, err := ref.Render(context.Background(), tmpl, p, c)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fast.Render(context.Background(), tmpl, p, c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Patch, want.Patch) {
		t.Fatalf("patch %#v, reference path %#v", got.Patch, want.Patch)
	}
	if st := fast.Stats(); (st.StaticPatches == 1) != static || st.StaticPatches+st.WalkedPatches != 1 {
		t.Errorf("stats %+v, want a static patch: %v", st, static)
	}
	if st := ref.Stats(); st.WalkedPatches != 1 {
		t.Errorf("reference stats %+v, want one walked patch", st)
	}
}
