package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/appfile"
	"velad.io/velad/pkg/cue"
)

// Options tune an Engine.
type Options struct {
	// MaxRetries is how often a failing step is retried before FailedAfterRetries (default 10).
	MaxRetries int
	// BackoffBase and BackoffMax bound the exponential retry delay (default 1s and 1m).
	BackoffBase, BackoffMax time.Duration
	// WaitInterval is how soon a waiting step is tried again (default 3s).
	WaitInterval time.Duration
	// Now returns the current time (default time.Now).
	Now func() time.Time
	// StepDuration, when set, is called after every step execution (for metrics).
	StepDuration func(stepType, phase string, d time.Duration)
}

func (o *Options) defaults() {
	if o.MaxRetries == 0 {
		o.MaxRetries = 10
	}
	if o.BackoffBase == 0 {
		o.BackoffBase = time.Second
	}
	if o.BackoffMax == 0 {
		o.BackoffMax = time.Minute
	}
	if o.WaitInterval == 0 {
		o.WaitInterval = 3 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Engine runs workflows; it is stateless between runs and safe for concurrent use.
type Engine struct {
	cue  *cue.Engine
	opts Options
}

// New returns an Engine evaluating step templates with e (which must have the
// vela/op schemas registered, see pkg/cue/provider/op.All).
func New(e *cue.Engine, opts Options) *Engine {
	opts.defaults()
	return &Engine{cue: e, opts: opts}
}

// Instance is one Application's workflow at one revision.
type Instance struct {
	// App and Namespace name the Application; Revision is its ApplicationRevision.
	App, Namespace, Revision string
	// Steps are the steps to run, from spec.workflow or Generate.
	Steps []*appfile.Step
	// Mode is the execution mode of steps and sub-steps.
	Mode v1beta1.WorkflowExecuteMode
	// Status is read and updated in place.
	Status *v1beta1.WorkflowStatus
	// Store keeps step outputs, retries and suspend deadlines.
	Store Store
	// Handlers are the provider actions available to step templates.
	Handlers Handlers
	// Context is the base KubeVela context of step templates.
	Context cue.Context
	// Checkpoint persists Status; it is called after every step that finished
	// or suspended, so a finished step is never run again after a crash (but
	// for the last, replayable one under FinalWrite).
	Checkpoint func(ctx context.Context) error
	// FinalWrite says the caller persists Status once Run returns (as the
	// Application controller's final status write does). The checkpoint after
	// the step that ends the workflow is then left to that write when every
	// action the step ran only applied or read resources (replayable, decided
	// from what ran, not from the step's type name: a user's own "deploy" that
	// calls a webhook is checkpointed): after a crash in between it runs again,
	// re-applying the same objects. One status write fewer per run.
	FinalWrite bool
}

// Outcome is where a Run left the workflow.
type Outcome struct {
	// Phase is the workflow's phase (executing, suspending, terminated, failed, succeeded).
	Phase v1beta1.WorkflowRunPhase
	// RequeueAfter says when to run again (0: only on change).
	RequeueAfter time.Duration
}

// Run advances the workflow as far as it can go now: it runs every step that
// is ready, and returns when the workflow finished, suspended, or waits.
func (e *Engine) Run(ctx context.Context, in *Instance) (Outcome, error) {
	st := in.Status
	restarted := st.AppRevision != in.Revision || st.Phase == ""
	if restarted {
		if err := e.restart(ctx, in); err != nil {
			return Outcome{}, err
		}
	}
	if st.Terminated {
		terminate(st)
		return Outcome{Phase: st.Phase}, nil
	}
	if st.Finished {
		return Outcome{Phase: st.Phase}, nil
	}
	// A restart just reset the store: its data is empty, no need to read it.
	data := &Data{}
	data.init()
	if !restarted {
		var err error
		if data, err = in.Store.Load(ctx); err != nil {
			return Outcome{}, err
		}
	}
	r := &run{e: e, in: in, data: data, now: e.opts.Now(), saved: fingerprint(data), replayable: map[string]bool{}}
	if r.stillSuspended() {
		st.Phase = v1beta1.WorkflowRunSuspending
		return Outcome{Phase: st.Phase, RequeueAfter: r.requeue}, nil
	}
	st.Phase = v1beta1.WorkflowRunExecuting
	statuses := make([]*v1beta1.StepStatus, len(st.Steps))
	for i := range st.Steps {
		statuses[i] = &st.Steps[i].StepStatus
	}
	if err := r.schedule(ctx, in.Steps, statuses, in.Mode.Steps, nil); err != nil {
		return Outcome{}, err
	}
	// Retry counts and deadlines change without a checkpoint, and so does the
	// data of a last step whose checkpoint FinalWrite left to the caller; keep
	// them before the workflow is marked finished (a failed save then leaves it
	// unfinished, to be finished by the next run).
	if fingerprint(r.data) != r.saved {
		if err := in.Store.Save(ctx, r.data); err != nil {
			return Outcome{}, err
		}
	}
	return r.finish(ctx), nil
}

// fingerprint identifies the content of d, to save it only when it changed.
func fingerprint(d *Data) string {
	b, _ := json.Marshal(d)
	return string(b)
}

// restart resets the status to every step pending and forgets the context.
// The status keeps the contextBackend the store's Reset recorded.
func (e *Engine) restart(ctx context.Context, in *Instance) error {
	if err := in.Store.Reset(ctx); err != nil {
		return err
	}
	*in.Status = v1beta1.WorkflowStatus{
		ContextBackend: in.Status.ContextBackend,
		AppRevision:    in.Revision,
		Mode:           fmt.Sprintf("%s-%s", in.Mode.Steps, in.Mode.SubSteps),
		Phase:          v1beta1.WorkflowRunInitializing,
		StartTime:      metav1.NewTime(e.opts.Now()),
	}
	for _, s := range in.Steps {
		ws := v1beta1.WorkflowStepStatus{StepStatus: pendingStatus(s)}
		for _, sub := range s.SubSteps {
			ws.SubStepsStatus = append(ws.SubStepsStatus, pendingStatus(sub))
		}
		in.Status.Steps = append(in.Status.Steps, ws)
	}
	return nil
}

func pendingStatus(s *appfile.Step) v1beta1.StepStatus {
	return v1beta1.StepStatus{ID: s.Name, Name: s.Name, Type: s.Type, Phase: v1beta1.WorkflowStepPhasePending}
}

// finish derives the workflow phase from the step phases.
func (r *run) finish(ctx context.Context) Outcome {
	st := r.in.Status
	if r.suspended {
		st.Suspend = true
		st.Phase = v1beta1.WorkflowRunSuspending
		return Outcome{Phase: st.Phase, RequeueAfter: r.requeue}
	}
	failed := false
	for _, s := range st.Steps {
		if !terminal(&s.StepStatus) {
			st.Phase = v1beta1.WorkflowRunExecuting
			return Outcome{Phase: st.Phase, RequeueAfter: r.requeue}
		}
		failed = failed || s.Phase == v1beta1.WorkflowStepPhaseFailed
	}
	st.Finished = true
	st.EndTime = metav1.NewTime(r.now)
	st.Phase = v1beta1.WorkflowRunSucceeded
	if failed {
		st.Phase = v1beta1.WorkflowRunFailed
	}
	return Outcome{Phase: st.Phase}
}

// stillSuspended reports whether the workflow stays suspended: it was suspended
// and neither resumed nor has a suspend step whose duration passed.
func (r *run) stillSuspended() bool {
	st := r.in.Status
	if !st.Suspend {
		return false
	}
	var next time.Duration
	for id, until := range r.data.SuspendUntil {
		if !r.now.Before(until) {
			st.Suspend = false
			delete(r.data.SuspendUntil, id)
			continue
		}
		if d := until.Sub(r.now); next == 0 || d < next {
			next = d
		}
	}
	r.requeue = next
	return st.Suspend
}

// terminate ends a workflow `vela workflow terminate` marked: steps that
// had not finished fail with reason Terminate.
func terminate(st *v1beta1.WorkflowStatus) {
	st.Phase = v1beta1.WorkflowRunTerminated
	st.Suspend = false
	for i := range st.Steps {
		ws := &st.Steps[i]
		for _, ss := range append([]*v1beta1.StepStatus{&ws.StepStatus}, subPointers(ws)...) {
			if !terminal(ss) {
				ss.Phase, ss.Reason, ss.Message = v1beta1.WorkflowStepPhaseFailed, ReasonTerminate, "the workflow was terminated"
			}
		}
	}
}

func subPointers(ws *v1beta1.WorkflowStepStatus) []*v1beta1.StepStatus {
	out := make([]*v1beta1.StepStatus, len(ws.SubStepsStatus))
	for i := range ws.SubStepsStatus {
		out[i] = &ws.SubStepsStatus[i]
	}
	return out
}

// terminal reports whether a step will not run again.
func terminal(s *v1beta1.StepStatus) bool {
	switch s.Phase {
	case v1beta1.WorkflowStepPhaseSucceeded, v1beta1.WorkflowStepPhaseSkipped:
		return true
	case v1beta1.WorkflowStepPhaseFailed:
		return s.Reason != ReasonExecute
	}
	return false
}
