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
