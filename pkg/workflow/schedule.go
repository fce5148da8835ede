package workflow

import (
	"context"
	"strings"
	"time"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/appfile"
)

// run is the state of one Engine.Run.
type run struct {
	e    *Engine
	in   *Instance
	data *Data
	now  time.Time
	// requeue is the earliest time a waiting step wants to run again.
	requeue time.Duration
	// suspended is set when a step suspended the workflow.
	suspended bool
	// saved is the fingerprint of data as last loaded or saved.
	saved string
	// replayable holds the IDs of the steps executed in this run whose actions
	// only applied or read resources (written on the scheduling goroutine).
	replayable map[string]bool
}

func (r *run) wantRequeue(d time.Duration) {
	if d > 0 && (r.requeue == 0 || d < r.requeue) {
		r.requeue = d
	}
}

// schedule runs the ready steps of one level (the workflow's steps, or a
// group's sub-steps) until none can make progress. In StepByStep mode a step
// waits for every earlier step; in DAG mode only for its dependsOn, and the
// ready steps of a round execute concurrently.
func (r *run) schedule(ctx context.Context, steps []*appfile.Step, statuses []*v1beta1.StepStatus, mode v1beta1.WorkflowMode, group *v1beta1.StepStatus) error {
	byName := map[string]*v1beta1.StepStatus{}
	for i, s := range steps {
		byName[s.Name] = statuses[i]
	}
	for progress := true; progress && !r.suspended; {
		progress = false
		var jobs []*stepJob
		for i, s := range steps {
			ss := statuses[i]
			if terminal(ss) {
				continue
			}
			deps := r.deps(s, steps, i, mode)
			if !allTerminal(deps, byName) {
				if mode == v1beta1.WorkflowModeStep {
					break
				}
				continue
			}
			if mode == v1beta1.WorkflowModeDAG {
				j, err := r.prepare(ctx, s, ss, failedDep(deps, byName))
				if err != nil {
					return err
				}
				if j != nil {
					jobs = append(jobs, j)
					continue
				}
			} else if err := r.step(ctx, s, ss, failedDep(deps, byName)); err != nil {
				return err
			}
			done, err := r.settled(ctx, ss)
			if err != nil || r.suspended {
				return err
			}
			progress = progress || done
			if !done && mode == v1beta1.WorkflowModeStep {
				break
			}
		}
		done, err := r.runConcurrently(ctx, jobs)
		if err != nil {
			return err
		}
		progress = progress || done
	}
	return nil
}

// settled checkpoints a step that finished (reporting true) or suspended
// the workflow.
func (r *run) settled(ctx context.Context, ss *v1beta1.StepStatus) (bool, error) {
	if terminal(ss) {
		return true, r.checkpointAfter(ctx, ss)
	}
	if ss.Phase == v1beta1.WorkflowStepPhaseSuspending {
		r.suspended = true
		return false, r.checkpoint(ctx)
	}
	return false, nil
}

// maxConcurrentSteps bounds the steps of one DAG level executing at once.
const maxConcurrentSteps = 8

// runConcurrently executes jobs in parallel and records each as it ends, on
// this goroutine, so a finished step is checkpointed at once while the
// others still run. It reports whether any step finished.
func (r *run) runConcurrently(ctx context.Context, jobs []*stepJob) (bool, error) {
	if len(jobs) == 0 {
		return false, nil
	}
	ended := make(chan *stepJob)
	slots := make(chan struct{}, maxConcurrentSteps)
	for _, j := range jobs {
		go func(j *stepJob) {
			slots <- struct{}{}
			r.runJob(ctx, j)
			<-slots
			ended <- j
		}(j)
	}
	progress, suspended := false, false
	var firstErr error
	for range jobs {
		j := <-ended
		r.record(j)
		switch {
		case terminal(j.ss):
			progress = true
			if err := r.checkpointAfter(ctx, j.ss); err != nil && firstErr == nil {
				firstErr = err
			}
		case j.ss.Phase == v1beta1.WorkflowStepPhaseSuspending:
			suspended = true
		}
	}
	if suspended {
		r.suspended = true
		if err := r.checkpoint(ctx); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return progress, firstErr
}

// deps are the names a step waits for.
func (r *run) deps(s *appfile.Step, steps []*appfile.Step, i int, mode v1beta1.WorkflowMode) []string {
	var deps []string
	if s.Spec != nil {
		deps = append(deps, s.Spec.DependsOn...)
	}
	if mode == v1beta1.WorkflowModeStep && i > 0 {
		deps = append(deps, steps[i-1].Name)
	}
	return deps
}

func allTerminal(names []string, by map[string]*v1beta1.StepStatus) bool {
	for _, n := range names {
		if s, ok := by[n]; ok && !terminal(s) {
			return false
		}
	}
	return true
}

// skippedByFailure marks steps skipped because a step before them failed; their
// dependents are skipped too.
const skippedByFailure = "skipped: a step it depends on failed"

func failedDep(names []string, by map[string]*v1beta1.StepStatus) bool {
	for _, n := range names {
		s, ok := by[n]
		if !ok {
			continue
		}
		if s.Phase == v1beta1.WorkflowStepPhaseFailed || strings.HasPrefix(s.Message, skippedByFailure) {
			return true
		}
	}
	return false
}

// checkpointAfter checkpoints the step ss that just finished, unless the
// caller's final write will persist it: FinalWrite is set, ss is replayable
// (every action it ran only applied or read resources, whatever its type is
// called; see group for a step group) and no step is left to run (so that write follows right
// away). The context data is then saved at the end of Run.
func (r *run) checkpointAfter(ctx context.Context, ss *v1beta1.StepStatus) error {
	if r.in.FinalWrite && r.replayable[ss.ID] && allSettled(r.in.Status) {
		return nil
	}
	return r.checkpoint(ctx)
}

// allSettled reports whether no step of st is left to run: every step is
// terminal, or is a step group whose sub-steps all are (its phase follows from
// theirs as soon as they ended). The sub-steps of a terminal group (skipped,
// timed out) do not count.
func allSettled(st *v1beta1.WorkflowStatus) bool {
	for i := range st.Steps {
		ws := &st.Steps[i]
		if terminal(&ws.StepStatus) {
			continue
		}
		if len(ws.SubStepsStatus) == 0 {
			return false
		}
		for j := range ws.SubStepsStatus {
			if !terminal(&ws.SubStepsStatus[j]) {
				return false
			}
		}
	}
	return true
}

// checkpoint saves the context data (when it changed since it was loaded or
// last saved) and the status.
func (r *run) checkpoint(ctx context.Context) error {
	if fp := fingerprint(r.data); fp != r.saved {
		if err := r.in.Store.Save(ctx, r.data); err != nil {
			return err
		}
		r.saved = fp
	}
	if r.in.Checkpoint != nil {
		return r.in.Checkpoint(ctx)
	}
	return nil
}
