package workflow

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/appfile"
)

// stepGroup is the step type that only runs its sub-steps.
const stepGroup = "step-group"

// step advances one step that is ready to run, executing it in place.
func (r *run) step(ctx context.Context, s *appfile.Step, ss *v1beta1.StepStatus, depFailed bool) error {
	j, err := r.prepare(ctx, s, ss, depFailed)
	if err != nil || j == nil {
		return err
	}
	r.runJob(ctx, j)
	r.record(j)
	return nil
}

// stepJob is one execution of a step's template. prepare and record run on
// the scheduling goroutine and own the run's state; runJob only evaluates the
// template and calls handlers, so the jobs of a DAG level run concurrently.
type stepJob struct {
	s       *appfile.Step
	ss      *v1beta1.StepStatus
	params  map[string]any
	resumed bool
	took    time.Duration
	res     *execResult
	err     error
}

// prepare decides whether a ready step runs at all (if), enforces its
// timeout and retry backoff, runs a step group, and returns the job that
// executes the step (nil when there is nothing to execute now).
func (r *run) prepare(ctx context.Context, s *appfile.Step, ss *v1beta1.StepStatus, depFailed bool) (*stepJob, error) {
	if ss.Phase == v1beta1.WorkflowStepPhasePending || ss.Phase == "" {
		ok, msg, err := r.condition(ctx, s, depFailed)
		if err != nil {
			r.setPhase(ss, v1beta1.WorkflowStepPhaseFailed, ReasonParameter, err.Error())
			return nil, nil
		}
		if !ok {
			r.setPhase(ss, v1beta1.WorkflowStepPhaseSkipped, ReasonSkip, msg)
			return nil, nil
		}
		ss.FirstExecuteTime = metav1.NewTime(r.now)
	}
	if r.timedOut(s, ss) {
		return nil, nil
	}
	if s.Type == stepGroup {
		return nil, r.group(ctx, s, ss)
	}
	if ss.Phase == v1beta1.WorkflowStepPhaseFailed && ss.Reason == ReasonExecute {
		wait := backoff(r.data.Retries[ss.ID], r.e.opts.BackoffBase, r.e.opts.BackoffMax)
		if left := ss.LastExecuteTime.Add(wait).Sub(r.now); left > 0 {
			r.wantRequeue(left)
			return nil, nil
		}
	}
	j := &stepJob{s: s, ss: ss}
	j.resumed = (ss.Phase == v1beta1.WorkflowStepPhaseSuspending || ss.Reason == ReasonSuspend) && !r.in.Status.Suspend
	j.params, j.err = r.parameter(s)
	return j, nil
}

// runJob executes the step's template; it touches no state of the run.
func (r *run) runJob(ctx context.Context, j *stepJob) {
	if j.err == nil {
		start := time.Now()
		j.res, j.err = r.exec(ctx, j.s, j.params, j.resumed)
		j.took = time.Since(start)
	}
}

// timedOut fails a step that ran longer than its timeout.
func (r *run) timedOut(s *appfile.Step, ss *v1beta1.StepStatus) bool {
	if s.Spec == nil || s.Spec.Timeout == "" || ss.FirstExecuteTime.IsZero() {
		return false
	}
	d, err := time.ParseDuration(s.Spec.Timeout)
	if err != nil {
		r.setPhase(ss, v1beta1.WorkflowStepPhaseFailed, ReasonParameter, fmt.Sprintf("invalid timeout %q: %v", s.Spec.Timeout, err))
		return true
	}
	left := ss.FirstExecuteTime.Add(d).Sub(r.now)
	if left > 0 {
		r.wantRequeue(left)
		return false
	}
	r.setPhase(ss, v1beta1.WorkflowStepPhaseFailed, ReasonTimeout, fmt.Sprintf("step timed out after %s", s.Spec.Timeout))
	return true
}

// group runs a step group's sub-steps and derives the group's phase from theirs.
func (r *run) group(ctx context.Context, s *appfile.Step, ss *v1beta1.StepStatus) error {
	subs := r.subStatuses(s.Name)
	if err := r.schedule(ctx, s.SubSteps, subs, r.in.Mode.SubSteps, ss); err != nil {
		return err
	}
	ss.LastExecuteTime = metav1.NewTime(r.now)
	// The group runs no action itself: its sub-steps were checkpointed as
	// their actions required, and its phase follows from theirs.
	r.replayable[ss.ID] = true
	phase, failed := v1beta1.WorkflowStepPhaseSucceeded, false
	for _, sub := range subs {
		switch {
		case sub.Phase == v1beta1.WorkflowStepPhaseSuspending:
			phase = v1beta1.WorkflowStepPhaseSuspending
		case !terminal(sub) && phase != v1beta1.WorkflowStepPhaseSuspending:
			phase = v1beta1.WorkflowStepPhaseRunning
		case sub.Phase == v1beta1.WorkflowStepPhaseFailed:
			failed = true
		}
	}
	if phase == v1beta1.WorkflowStepPhaseSucceeded && failed {
		r.setPhase(ss, v1beta1.WorkflowStepPhaseFailed, ReasonAction, "a sub-step failed")
		return nil
	}
	ss.Phase, ss.Reason, ss.Message = phase, "", ""
	return nil
}

// subStatuses returns pointers to the sub-step statuses of the named group.
func (r *run) subStatuses(name string) []*v1beta1.StepStatus {
	for i := range r.in.Status.Steps {
		ws := &r.in.Status.Steps[i]
		if ws.Name != name {
			continue
		}
		out := make([]*v1beta1.StepStatus, len(ws.SubStepsStatus))
		for j := range ws.SubStepsStatus {
			out[j] = &ws.SubStepsStatus[j]
		}
		return out
	}
	return nil
}

// record writes the outcome of an executed job into its status and the
// workflow data.
func (r *run) record(j *stepJob) {
	defer func() {
		if f := r.e.opts.StepDuration; f != nil {
			f(j.s.Type, string(j.ss.Phase), j.took)
		}
	}()
	st, s, ss, res, err := r.in.Status, j.s, j.ss, j.res, j.err
	ss.LastExecuteTime = metav1.NewTime(r.now)
	r.replayable[ss.ID] = err == nil && res != nil && res.replayable
	if res != nil && len(res.logs) > 0 {
		r.data.Logs[s.Name] = res.logs
	}
	if msg, ok := asWait(err); ok {
		r.setPhase(ss, v1beta1.WorkflowStepPhaseRunning, ReasonWait, msg)
		r.wantRequeue(r.e.opts.WaitInterval)
		return
	}
	var pe *parameterError
	if errors.As(err, &pe) {
		r.setPhase(ss, v1beta1.WorkflowStepPhaseFailed, ReasonParameter, err.Error())
		return
	}
	if err != nil {
		r.retry(ss, err)
		return
	}
	ctl := res.ctl
	switch ctl.kind {
	case controlWait:
		r.setPhase(ss, v1beta1.WorkflowStepPhaseRunning, ReasonWait, ctl.message)
		r.wantRequeue(r.e.opts.WaitInterval)
	case controlSuspend:
		r.setPhase(ss, v1beta1.WorkflowStepPhaseSuspending, ReasonSuspend, ctl.message)
		st.Suspend = true
		if ctl.duration != "" {
			if d, err := time.ParseDuration(ctl.duration); err == nil {
				r.data.SuspendUntil[ss.ID] = r.now.Add(d)
				r.wantRequeue(d)
			}
		}
	case controlFail:
		r.setPhase(ss, v1beta1.WorkflowStepPhaseFailed, ReasonAction, ctl.message)
	default:
		for k, v := range res.outputs {
			r.data.Vars[k] = v
		}
		delete(r.data.Retries, ss.ID)
		delete(r.data.SuspendUntil, ss.ID)
		r.setPhase(ss, v1beta1.WorkflowStepPhaseSucceeded, "", res.message)
	}
}

// retry records a failed execution; after MaxRetries the failure is final.
func (r *run) retry(ss *v1beta1.StepStatus, err error) {
	n := r.data.Retries[ss.ID] + 1
	r.data.Retries[ss.ID] = n
	if n > r.e.opts.MaxRetries {
		r.setPhase(ss, v1beta1.WorkflowStepPhaseFailed, ReasonFailedAfterRetries,
			fmt.Sprintf("failed after %d retries: %v", r.e.opts.MaxRetries, err))
		return
	}
	r.setPhase(ss, v1beta1.WorkflowStepPhaseFailed, ReasonExecute, err.Error())
	r.wantRequeue(backoff(n, r.e.opts.BackoffBase, r.e.opts.BackoffMax))
}

func (r *run) setPhase(ss *v1beta1.StepStatus, p v1beta1.WorkflowStepPhase, reason, msg string) {
	ss.Phase, ss.Reason, ss.Message = p, reason, msg
	if ss.LastExecuteTime.IsZero() {
		ss.LastExecuteTime = metav1.NewTime(r.now)
	}
}
