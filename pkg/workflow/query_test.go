package workflow

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"velad.io/velad/pkg/cue"
	"velad.io/velad/pkg/cue/provider/op"
)

func TestEvaluate(t *testing.T) {
	e, err := cue.New(cue.WithProviders(op.All()...))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	calls := 0
	h := Handlers{"kube": {"read": func(_ context.Context, in map[string]any) (map[string]any, error) {
		calls++
		v := in["value"].(map[string]any)
		v["data"] = map[string]any{"greeting": "hello " + v["metadata"].(map[string]any)["name"].(string)}
		return map[string]any{"value": v}, nil
	}}}
	view := `import "vela/ql"
parameter: {name: string, n: *1 | int}
cm: ql.#Read & {value: {apiVersion: "v1", kind: "ConfigMap", metadata: {name: parameter.name, namespace: "default"}}}
status: {greeting: cm.value.data.greeting, n: parameter.n}
`
	out, err := Evaluate(ctx, e, view, map[string]any{"name": "web"}, h, "status")
	if err != nil || !reflect.DeepEqual(out, map[string]any{"greeting": "hello web", "n": int64(1)}) || calls != 1 {
		t.Fatalf("Evaluate = %v, %v (%d reads); want the read's result exported", out, err, calls)
	}
	if out, err := Evaluate(ctx, e, view, map[string]any{"name": "web"}, h, "status.greeting"); err != nil || out != "hello web" {
		t.Fatalf("export status.greeting = %v, %v", out, err)
	}
	for _, c := range []struct {
		tmpl   string
		params map[string]any
		export string
		want   string
	}{
		{view, map[string]any{}, "status", "parameter.name"},
		{view, map[string]any{"name": "web"}, "nothere", `no field "nothere"`},
		{`import "vela/op"` + "\nf: op.#Fail & {message: \"no such thing\"}\nstatus: 1\n", nil, "status", "no such thing"},
		{`import "vela/op"` + "\nx: op.#Apply & {value: {apiVersion: \"v1\", kind: \"ConfigMap\", metadata: name: \"a\"}}\nstatus: 1\n", nil, "status", `has no action "apply"`},
	} {
		if _, err := Evaluate(ctx, e, c.tmpl, c.params, h, c.export); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Evaluate(%.40q…, %v, %s) = %v, want an error containing %q", c.tmpl, c.params, c.export, err, c.want)
		}
	}
}
