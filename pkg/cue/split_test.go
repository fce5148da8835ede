package cue

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"cuelang.org/go/cue/parser"
)

// splitTmpl has a definition only its parameter uses (so it splits), an import
// only the body uses, an import only the schema uses, a parameter default that
// reaches the output and a hidden parameter field the body reads.
const splitTmpl = `
import (
	"strings"
	"list"
)

output: {
	apiVersion: "v1"
	kind:       "Pod"
	metadata: name: strings.ToLower(context.name)
	spec: containers: [{
		name:  context.name
		image: parameter.image
		if parameter.probe != _|_ {
			livenessProbe: parameter.probe
		}
		ports: [{containerPort: parameter.port, protocol: parameter.protocol}]
		env: [{name: "N", value: parameter._n}]
	}]
}
errs: [if parameter.port == 1 {"port 1 is reserved"}]

#Probe: {
	path:    string
	period:  *10 | int
	timeout: *1 | int
}

parameter: {
	image: string
	port:  *80 | int
	protocol: *"TCP" | "UDP"
	probe?: #Probe
	tags: [...string] & list.MaxItems(3)
	_n: "x"
}
`

func TestSplitTemplate(t *testing.T) {
	for name, tc := range map[string]struct {
		src   string
		split bool
	}{
		"definition only the parameter uses": {splitTmpl, true},
		"no definition":                      {workerTmpl, false},
		"definition the body uses too":       {"#D: {a: *1 | int}\noutput: #D\nparameter: #D", false},
		"parameter default from context":     {"#D: string\noutput: {a: parameter.a}\nparameter: {a: *context.name | #D}", false},
		"definition reads context":           {"#D: *context.name | string\noutput: {a: parameter.a}\nparameter: {a: #D}", false},
		"parameter reads a hidden field":     {"#D: string\n_x: 1\noutput: {a: parameter.a}\nparameter: {a: #D, b: *_x | int}", false},
		"top-level comprehension":            {"#D: string\nif true {output: {a: parameter.a}}\nparameter: {a: #D}", false},
		"split declarations":                 {"#D: string\noutput: {a: parameter.a, b: parameter.b}\nparameter: a: #D\nparameter: b: *2 | int", true},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEngine(t)
			err := e.Do(context.Background(), func(w *Worker) error {
				if got := w.w.splitTemplate(tc.src) != nil; got != tc.split {
					return fmt.Errorf("split = %v, want %v", got, tc.split)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSplitRenderMatchesWhole renders through the split template and through
// the whole one: results (defaults that reach the output included) and error
// messages must be the same.
func TestSplitRenderMatchesWhole(t *testing.T) {
	c := &Context{Name: "Web", AppName: "app"}
	for name, p := range map[string]map[string]any{
		"defaults":         {"image": "nginx", "tags": []any{}},
		"given":            {"image": "nginx", "port": int64(8080), "protocol": "UDP", "tags": []any{"a"}, "probe": map[string]any{"path": "/", "period": int64(5)}},
		"missing image":    {"tags": []any{}},
		"missing tags":     {"image": "nginx"},
		"wrong type":       {"image": "nginx", "tags": []any{}, "port": "80"},
		"bad enum":         {"image": "nginx", "tags": []any{}, "protocol": "HTTP"},
		"failed builtin":   {"image": "nginx", "tags": []any{"a", "b", "c", "d"}},
		"unknown field":    {"image": "nginx", "tags": []any{}, "probe": map[string]any{"path": "/", "bogus": true}},
		"errs":             {"image": "nginx", "tags": []any{}, "port": int64(1)},
		"incomplete probe": {"image": "nginx", "tags": []any{}, "probe": map[string]any{}},
	} {
		t.Run(name, func(t *testing.T) {
			split := newEngine(t) // fresh engines: Stats counts this case's renders only
			whole, err := New(WithReferenceRendering())
			if err != nil {
				t.Fatal(err)
			}
			want, werr := whole.Render(context.Background(), splitTmpl, p, c)
			got, gerr := split.Render(context.Background(), splitTmpl, p, c)
			if fmt.Sprint(gerr) != fmt.Sprint(werr) {
				t.Fatalf("error %v, want %v", gerr, werr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("result\n%#v\nwant\n%#v", got, want)
			}
			// WithoutParameter: the same checks, the same result less Parameter, on both roads
			if want != nil {
				want.Parameter = nil
			}
			for _, e := range []*Engine{split, whole} {
				got, gerr := e.Render(context.Background(), splitTmpl, p, c, WithoutParameter())
				if fmt.Sprint(gerr) != fmt.Sprint(werr) || !reflect.DeepEqual(got, want) {
					t.Fatalf("WithoutParameter: %#v, %v\nwant %#v, %v", got, gerr, want, werr)
				}
			}
			if werr != nil {
				return
			}
			if !want.OutputDefaults["spec.containers[0].ports[0].protocol"] && p["protocol"] == nil {
				t.Errorf("the protocol default must stay a default in the output: %v", want.OutputDefaults)
			}
			// and the split path itself rendered it (no fallback to the whole template)
			if st := split.Stats(); st.Split == 0 || st.Whole != 0 {
				t.Errorf("split engine: %+v, want split renders only", st)
			}
			if st := whole.Stats(); st.Split != 0 {
				t.Errorf("reference engine: %+v, want whole renders only", st)
			}
		})
	}
}

// TestSplitChecksUnusedParameter: a required parameter field the body does not
// read is reported on every road, with and without WithoutParameter (the
// split's own checks, not the body's, must catch it).
func TestSplitChecksUnusedParameter(t *testing.T) {
	const tmpl = "#D: string\noutput: {a: parameter.a}\nparameter: {a: #D, b: string}"
	const want = "parameter.b: required field is missing (expected string)"
	split := newEngine(t)
	whole, err := New(WithReferenceRendering())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []*Engine{split, whole} {
		for _, opts := range [][]RenderOption{nil, {WithoutParameter()}} {
			if _, err := e.Render(context.Background(), tmpl, map[string]any{"a": "x"}, nil, opts...); fmt.Sprint(err) != want {
				t.Errorf("error %v, want %s", err, want)
			}
		}
	}
	err = split.Do(context.Background(), func(w *Worker) error {
		if w.w.splitTemplate(tmpl) == nil {
			return fmt.Errorf("the template does not split")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTagsAreStatic: decoding a patch without reading comments is allowed
// only where the source's annotations are all the patch can carry.
func TestTagsAreStatic(t *testing.T) {
	for src, want := range map[string]bool{
		"patch: spec: {\n\t// +patchKey=name\n\tcontainers: [{name: \"a\"}]\n}": true,
		"// +patchStrategy=jsonMergePatch\npatch: metadata: labels: {a: \"b\"}": true,
		"patch: spec: {\n\t// +patchStrategy=retainKeys\n\treplicas: 1\n}":      true,
		"patch: replicas: 1": true,
		"import \"strings\"\npatch: a: strings.ToLower(\"A\")": false, // imports may carry comments
		"patch: a: 'bytes'": false, // JSON would base64 them
		"patch: {\n\t// +patchStrategy=retainKeys\n\tspec: replicas: 1\n}":                               false, // shorthand: placed differently
		"_x: {\n\t// +patchKey=name\n\tcontainers: []\n}\npatch: spec: _x":                               false, // comment outside patch
		"patch: spec: {\n\tlet x = {\n\t\t// +patchKey=name\n\t\tcontainers: []\n\t}\n\tx\n}":            false, // reached only through a let
		"patch: {\n\ta: {\n\t\t// +patchKey=name\n\t\tc: []\n\t}\n\tb: a\n}":                             false, // a reference copies it
		"patch: {\n\t// +patchKey=name\n\tc: []\n\t// +patchKey=id\n\tc: []\n}":                          false, // two on one field
		"patch: (\"a\" + \"b\"): {\n\t// +patchKey=name\n\tc: []\n}":                                     false, // under a dynamic label
		"patch: spec: {// +patchKey=name\n\tcontainers: [{name: \"a\"}] // +patchStrategy=retainKeys\n}": false, // a trailing tag, which Doc() does not return
	} {
		f, err := parser.ParseFile("t.cue", src, parser.ParseComments)
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if got := tagsAreStatic(f); got != want {
			t.Errorf("tagsAreStatic(%q) = %v, want %v", src, got, want)
		}
	}
}
