package embedded

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
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
	// render cache off: the second render evaluates too, and Stats counts both
	fast, err := velacue.New(velacue.WithProviders(op.All()...), velacue.WithRenderCache(0))
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
	var split, walked []string // which definitions took which road on the fast engine
	ran, all := 0, 0           // sampled definitions whose subtest ran (-run may filter them)
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
		all++
		t.Run(d.dir+"/"+d.name, func(t *testing.T) {
			ran++
			var p map[string]any
			if err := cuecontext.New().CompileString(params).Decode(&p); err != nil {
				t.Fatal(err)
			}
			c := &velacue.Context{Name: "c", AppName: "a", Namespace: "default"}
			if d.dir == "traits" {
				c.Output, c.Outputs = base, map[string]any{}
			}
			want := dump(ref.Render(context.Background(), d.template, p, c))
			before := fast.Stats()
			for i := 0; i < 2; i++ { // the second time from the compiled cache
				if got := dump(fast.Render(context.Background(), d.template, p, c)); got != want {
					t.Fatalf("render differs from the reference:\n got %s\nwant %s", got, want)
				}
			}
			after := fast.Stats()
			if after.SplitFallbacks != before.SplitFallbacks && !strings.HasPrefix(want, "error:") {
				t.Errorf("the split template fell back to the whole one: %+v", after)
			}
			if after.Split != before.Split {
				split = append(split, d.dir+"/"+d.name)
			}
			if after.WalkedPatches != before.WalkedPatches {
				walked = append(walked, d.dir+"/"+d.name)
			}
		})
	}
	// The shortcuts must keep applying where they did: a definition that
	// silently falls back to the slow road fails here.
	if st := ref.Stats(); st.Split != 0 || st.StaticPatches != 0 {
		t.Errorf("reference engine took shortcuts: %+v", st)
	}
	if ran != all {
		return // a filtered run cannot compare the whole lists
	}
	if got, want := strings.Join(split, " "), splitDefinitions; got != want {
		t.Errorf("rendered through split templates:\n%s\nwant\n%s", got, want)
	}
	if got, want := strings.Join(walked, " "), walkedDefinitions; got != want {
		t.Errorf("patches decoded field by field:\n%s\nwant\n%s", got, want)
	}
}

// splitDefinitions render through split templates (see cue's split.go).
const splitDefinitions = "components/cron-task components/daemon components/statefulset components/task components/webservice components/worker " +
	"traits/affinity traits/env traits/hpa traits/lifecycle traits/podsecuritycontext traits/resource traits/sidecar traits/topologyspreadconstraints"

// walkedDefinitions are the traits whose patches are decoded field by field
// (cue's tagsAreStatic is false for them); every other trait's are static.
const walkedDefinitions = "traits/command traits/container-ports traits/init-container traits/k8s-update-strategy traits/resource traits/storage"

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

// TestRenderWithoutParameter renders every built-in trait and component with
// its sample and with bad variants of it (no properties, an unknown field,
// each field set to true, to null, to a string), with and without
// cue.WithoutParameter, on the default and the reference engine: the results
// less Parameter, the errors and the road taken (split, fallback, whole) must
// be the same.
func TestRenderWithoutParameter(t *testing.T) {
	var base map[string]any
	if err := cuecontext.New().CompileString(baseDeployment).Decode(&base); err != nil {
		t.Fatal(err)
	}
	for _, reference := range []bool{false, true} {
		opts := []velacue.Option{velacue.WithProviders(op.All()...), velacue.WithRenderCache(0)}
		if reference {
			opts = append(opts, velacue.WithReferenceRendering())
		}
		e, err := velacue.New(opts...)
		if err != nil {
			t.Fatal(err)
		}
		cases := 0
		for _, d := range loadDefinitions(t) {
			samples := map[string]map[string]string{"traits": traitSamples, "components": componentSamples}[d.dir]
			params, ok := samples[d.name]
			if !ok {
				continue
			}
			c := &velacue.Context{Name: "c", AppName: "a", Namespace: "default"}
			if d.dir == "traits" {
				c.Output, c.Outputs = base, map[string]any{}
			}
			for _, p := range parameterVariants(t, params) {
				cases++
				with, withStats := renderStats(e, d.template, p, c)
				without, withoutStats := renderStats(e, d.template, p, c, velacue.WithoutParameter())
				if without.res != nil && without.res.Parameter != nil {
					t.Errorf("%s/%s %v: WithoutParameter decoded the parameter", d.dir, d.name, p)
				}
				if with.res != nil {
					with.res.Parameter = nil
				}
				if got, want := dump(without.res, without.err), dump(with.res, with.err); got != want {
					t.Errorf("%s/%s %v (reference %v): without the parameter\n got %s\nwant %s", d.dir, d.name, p, reference, got, want)
				}
				if withoutStats != withStats {
					t.Errorf("%s/%s %v (reference %v): road %+v without the parameter, %+v with it", d.dir, d.name, p, reference, withoutStats, withStats)
				}
			}
		}
		t.Logf("reference %v: %d cases", reference, cases)
		if cases < 200 {
			t.Errorf("only %d cases", cases)
		}
	}
}

type rendered struct {
	res *velacue.Result
	err error
}

// renderStats renders once and returns what the engine's Stats counted for it.
func renderStats(e *velacue.Engine, template string, p map[string]any, c *velacue.Context, opts ...velacue.RenderOption) (rendered, velacue.RenderStats) {
	before := e.Stats()
	res, err := e.Render(context.Background(), template, p, c, opts...)
	after := e.Stats()
	return rendered{res, err}, velacue.RenderStats{
		Split:          after.Split - before.Split,
		SplitFallbacks: after.SplitFallbacks - before.SplitFallbacks,
		Whole:          after.Whole - before.Whole,
	}
}

// parameterVariants are the sample, no properties, the sample with an unknown
// field, and the sample with each of its fields set to true, null and "x".
func parameterVariants(t *testing.T, sample string) []map[string]any {
	t.Helper()
	parse := func() map[string]any {
		var p map[string]any
		if err := cuecontext.New().CompileString(sample).Decode(&p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	out := []map[string]any{parse(), {}}
	bogus := parse()
	bogus["bogus"] = 1
	out = append(out, bogus)
	for k := range parse() {
		for _, v := range []any{true, nil, "x"} {
			p := parse()
			p[k] = v
			out = append(out, p)
		}
	}
	return out
}
