package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"cuelang.org/go/cue/cuecontext"

	velacue "velad.io/velad/pkg/cue"
	"velad.io/velad/pkg/cue/provider/op"
)

// TestRenderShortcutsMatchReference renders every built-in trait (traitSamples,
// against baseDeployment) and every built-in component (componentSamples) on
// the default engine and on one with cue.WithReferenceRendering (whole
// templates, patches decoded field by field): results and errors must match.
func TestRenderShortcutsMatchReference(t *testing.T) {
	fast, err := velacue.New(velacue.WithProviders(op.All()...))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := velacue.New(velacue.WithProviders(op.All()...), velacue.WithReferenceRendering())
	if err != nil {
		t.Fatal(err)
	}
	var base map[string]any
	if err := cuecontext.New().CompileString(baseDeployment).Decode(&base); err != nil {
		t.Fatal(err)
	}
	for _, d := range loadDefinitions(t) {
		var samples map[string]string
		switch d.dir {
		case "traits":
			samples = traitSamples
		case "components":
			samples = componentSamples
		default:
			continue
		}
		params, ok := samples[d.name]
		if !ok {
			continue
		}
		t.Run(d.dir+"/"+d.name, func(t *testing.T) {
			var p map[string]any
			if err := cuecontext.New().CompileString(params).Decode(&p); err != nil {
				t.Fatal(err)
			}
			c := &velacue.Context{Name: "c", AppName: "a", Namespace: "default"}
			if d.dir == "traits" {
				c.Output, c.Outputs = base, map[string]any{}
			}
			want := dump(ref.Render(context.Background(), d.template, p, c))
			for i := 0; i < 2; i++ { // the second time from the compiled cache
				if got := dump(fast.Render(context.Background(), d.template, p, c)); got != want {
					t.Fatalf("render differs from the reference:\n got %s\nwant %s", got, want)
				}
			}
		})
	}
}

func dump(res *velacue.Result, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	b, err := json.Marshal(res)
	if err != nil {
		return fmt.Sprint("marshal: ", err)
	}
	return string(b)
}
