package workflow

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/appfile"
)

// TestDAGRunsIndependentStepsConcurrently: two independent webhook steps of a DAG are
// in flight together (the server answers only once both arrived), and a step that
// depends on both runs after them.
func TestDAGRunsIndependentStepsConcurrently(t *testing.T) {
	h := newHarness(t)
	var inFlight, most, hits atomic.Int32
	var mu sync.Mutex
	both := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		mu.Lock()
		if n > most.Load() {
			most.Store(n)
		}
		if n == 2 {
			close(both)
		}
		mu.Unlock()
		select {
		case <-both:
		case <-time.After(10 * time.Second): // sequential steps: give up, the assertion reports it
		}
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	d := &fakeDispatcher{}
	in := h.instance(webApp(`
    mode: {steps: DAG}
    steps:
    - {name: hook-a, type: webhook, properties: {data: {x: 1}, url: {value: "`+srv.URL+`/a"}}}
    - {name: hook-b, type: webhook, properties: {data: {x: 2}, url: {value: "`+srv.URL+`/b"}}}
    - {name: apply, type: apply-component, properties: {component: web}, dependsOn: [hook-a, hook-b]}
`), d)
	checkpoints := 0
	in.Checkpoint = func(context.Context) error { checkpoints++; return nil }
	out := h.run(in)
	if out.Phase != v1beta1.WorkflowRunSucceeded || stepPhases(in.Status) != "hook-a=succeeded hook-b=succeeded apply=succeeded" {
		t.Fatalf("outcome %+v, %s", out, stepPhases(in.Status))
	}
	if most.Load() != 2 || hits.Load() != 2 {
		t.Fatalf("webhooks in flight together: %d (hits %d), want 2", most.Load(), hits.Load())
	}
	if checkpoints != 3 {
		t.Errorf("%d checkpoints, want one per finished step (3)", checkpoints)
	}
	if a, b := in.Status.Steps[2].FirstExecuteTime, in.Status.Steps[0].LastExecuteTime; a.Before(&b) {
		t.Errorf("apply started before hook-a ended")
	}
}

// TestLogActionsAreStored: what a step's op.#Log actions write is kept in the workflow
// data by step name, replaced on each execution.
func TestLogActionsAreStored(t *testing.T) {
	h := newHarness(t)
	custom, err := appfile.FromFS(fstest.MapFS{"log.yaml": {Data: []byte(`
apiVersion: core.oam.dev/v1beta1
kind: WorkflowStepDefinition
metadata: {name: chatty}
spec:
  schematic:
    cue:
      template: |
        import "vela/op"
        first: op.#Log & {data: "hello " + parameter.who}
        second: op.#Log & {data: {n: 1}}
        parameter: {who: string}
`)}}, ".")
	if err != nil {
		t.Fatal(err)
	}
	defs := h.loader
	h.loader = appfile.Chain{custom, defs}
	h.parser = appfile.NewParser(h.loader)
	in := h.instance(webApp(`
    steps:
    - {name: talk, type: chatty, properties: {who: world}}
`), &fakeDispatcher{})
	if out := h.run(in); out.Phase != v1beta1.WorkflowRunSucceeded {
		t.Fatalf("outcome %+v, %+v", out, in.Status.Steps)
	}
	data, err := in.Store.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := data.Logs["talk"]; len(got) != 2 || got[0] != "hello world" || got[1] != `{"n":1}` {
		t.Fatalf("logs %q", got)
	}
}

// TestFinalWriteTakesTheLastReplayableCheckpoint: with Instance.FinalWrite, the
// checkpoint after the step that ends the workflow is left to the caller when that
// step only applies resources; a webhook ending the workflow is still checkpointed.
func TestFinalWriteTakesTheLastReplayableCheckpoint(t *testing.T) {
	h := newHarness(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{}`)) }))
	defer srv.Close()
	hook := `{name: hook, type: webhook, properties: {data: {x: 1}, url: {value: "` + srv.URL + `"}}}`
	apply := `{name: apply, type: apply-component, properties: {component: web}}`
	for _, c := range []struct {
		steps string
		want  int
		// lastTypedDeploy renames the last step's type to deploy: replayability
		// comes from the actions a step ran, not from its type's name (a user's own
		// "deploy" definition that calls a webhook must be checkpointed).
		lastTypedDeploy bool
	}{{hook + ", " + apply, 1, false}, {apply + ", " + hook, 2, false}, {apply + ", " + hook, 2, true}} {
		in := h.instance(webApp(`
    steps: [`+c.steps+`]
`), &fakeDispatcher{})
		if c.lastTypedDeploy {
			in.Steps[len(in.Steps)-1].Type = "deploy"
		}
		checkpoints := 0
		in.Checkpoint = func(context.Context) error { checkpoints++; return nil }
		in.FinalWrite = true
		if out := h.run(in); out.Phase != v1beta1.WorkflowRunSucceeded {
			t.Fatalf("steps %s: outcome %+v, %s", c.steps, out, stepPhases(in.Status))
		}
		if checkpoints != c.want {
			t.Errorf("steps %s: %d checkpoints, want %d", c.steps, checkpoints, c.want)
		}
	}
}

// failingSaves is a MemoryStore whose Save fails.
type failingSaves struct{ MemoryStore }

func (*failingSaves) Save(context.Context, *Data) error { return errors.New("store unavailable") }

// TestFinalWriteSavesDataBeforeFinishing: under FinalWrite the data of a last
// replayable step (here its output) is saved before the workflow is marked
// finished, so a failed save leaves the workflow unfinished, to be finished by the
// next run, instead of recording a finished workflow whose data was lost.
func TestFinalWriteSavesDataBeforeFinishing(t *testing.T) {
	h := newHarness(t)
	in := h.instance(webApp(`
    steps:
    - {name: apply, type: apply-component, properties: {component: web}, outputs: [{name: ready, valueFrom: "output.status.readyReplicas"}]}
`), &fakeDispatcher{})
	in.FinalWrite = true
	checkpoints := 0
	in.Checkpoint = func(context.Context) error { checkpoints++; return nil }
	in.Store = &failingSaves{}
	if _, err := h.engine.Run(context.Background(), in); err == nil || !strings.Contains(err.Error(), "store unavailable") {
		t.Fatalf("want the failed save reported, got %v", err)
	}
	if in.Status.Finished || checkpoints != 0 {
		t.Fatalf("a failed save must leave the workflow unfinished: finished %v, %d checkpoints", in.Status.Finished, checkpoints)
	}
	in.Store = &MemoryStore{}
	if out := h.run(in); out.Phase != v1beta1.WorkflowRunSucceeded || !in.Status.Finished {
		t.Fatalf("the next run finishes it: %+v, %s", out, stepPhases(in.Status))
	}
}

// finalWriteRun runs in under FinalWrite and returns the checkpoints it made and
// a copy of the status as the last checkpoint persisted it (nil without one).
func finalWriteRun(h *harness, in *Instance) (int, *v1beta1.WorkflowStatus) {
	h.t.Helper()
	checkpoints := 0
	var persisted *v1beta1.WorkflowStatus
	in.Checkpoint = func(context.Context) error {
		checkpoints++
		persisted = in.Status.DeepCopy()
		return nil
	}
	in.FinalWrite = true
	if out := h.run(in); out.Phase != v1beta1.WorkflowRunSucceeded {
		h.t.Fatalf("outcome %+v, %s", out, stepPhases(in.Status))
	}
	return checkpoints, persisted
}

// TestFinalWriteInDAGModeAndStepGroups: under FinalWrite the last checkpoint is left
// to the caller in DAG mode and when the workflow ends with a step group (its last
// sub-step, then the group itself, whose phase follows from its sub-steps), but a
// webhook is checkpointed wherever it is.
func TestFinalWriteInDAGModeAndStepGroups(t *testing.T) {
	h := newHarness(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{}`)) }))
	defer srv.Close()
	hook := func(name, deps string) string {
		return `{name: ` + name + `, type: webhook, properties: {data: {x: 1}, url: {value: "` + srv.URL + `"}}` + deps + `}`
	}
	apply := func(name, deps string) string {
		return `{name: ` + name + `, type: apply-component, properties: {component: web}` + deps + `}`
	}
	group := func(subs ...string) string {
		return `{name: g, type: step-group, subSteps: [` + strings.Join(subs, ", ") + `]}`
	}
	for _, c := range []struct {
		name, steps string
		want        int
	}{
		{"DAG, apply after a webhook", `[` + hook("h", "") + `, ` + apply("a", `, dependsOn: [h]`) + `]
    mode: {steps: DAG}`, 1},
		{"DAG, webhook after an apply", `[` + apply("a", "") + `, ` + hook("h", `, dependsOn: [a]`) + `]
    mode: {steps: DAG}`, 2},
		{"DAG, two applies after two webhooks", `[` + hook("h1", "") + `, ` + hook("h2", "") + `, ` + apply("a", `, dependsOn: [h1, h2]`) + `, ` + apply("b", `, dependsOn: [a]`) + `]
    mode: {steps: DAG}`, 3},
		{"a group of two applies", `[` + group(apply("a", ""), apply("b", `, dependsOn: [a]`)) + `]`, 1},
		{"a group ending with a webhook", `[` + group(apply("a", ""), hook("h", `, dependsOn: [a]`)) + `]`, 2},
		{"a webhook, then a group of two applies", `[` + hook("h", "") + `, ` + group(apply("a", ""), apply("b", `, dependsOn: [a]`)) + `]`, 2},
		{"a group, then an apply", `[` + group(apply("a", ""), apply("b", `, dependsOn: [a]`)) + `, ` + apply("c", "") + `]`, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			in := h.instance(webApp(`
    steps: `+c.steps+`
`), &fakeDispatcher{})
			if n, _ := finalWriteRun(h, in); n != c.want {
				t.Errorf("%d checkpoints, want %d (%s)", n, c.want, stepPhases(in.Status))
			}
		})
	}
}

// TestFinalWriteLost: when the caller's final status write is lost (a crash right
// after Run), the status is the last checkpoint's: the next run executes only the
// steps that checkpoint does not record as finished (replayable ones), the webhook
// before them is not called again, and the workflow finishes.
func TestFinalWriteLost(t *testing.T) {
	h := newHarness(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	hook := `{name: h, type: webhook, properties: {data: {x: 1}, url: {value: "` + srv.URL + `"}}}`
	for _, c := range []struct {
		name, steps string
		// reruns are the applies the second run makes
		reruns int
	}{
		{"step by step", `[` + hook + `, {name: a, type: apply-component, properties: {component: web}, outputs: [{name: ready, valueFrom: "output.status.readyReplicas"}]}]`, 1},
		{"DAG", `[` + hook + `, {name: a, type: apply-component, properties: {component: web}, dependsOn: [h]}]
    mode: {steps: DAG}`, 1},
		{"a group", `[` + hook + `, {name: g, type: step-group, subSteps: [{name: a, type: apply-component, properties: {component: web}}, {name: b, type: apply-component, properties: {component: web}, dependsOn: [a]}]}]`, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			h.t = t
			hits.Store(0)
			d := &fakeDispatcher{}
			in := h.instance(webApp(`
    steps: `+c.steps+`
`), d)
			_, persisted := finalWriteRun(h, in)
			if persisted == nil {
				t.Fatal("no checkpoint after the webhook")
			}
			first := len(d.applied)
			*in.Status = *persisted // the final write was lost
			n, _ := finalWriteRun(h, in)
			if !in.Status.Finished || hits.Load() != 1 {
				t.Fatalf("after the lost write: finished %v, %s, webhook hit %d times", in.Status.Finished, stepPhases(in.Status), hits.Load())
			}
			if again := len(d.applied) - first; again != c.reruns || n != 0 {
				t.Errorf("the second run applied %d times (want %d) with %d checkpoints (want 0)", again, c.reruns, n)
			}
		})
	}
}
