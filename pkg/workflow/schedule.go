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
}

func (r *run) wantRequeue(d time.Duration) {
	if d > 0 && (r.requeue == 0 || d < r.requeue) {
		r.requeue = d
	}
}

// schedule runs the ready steps of one level (the workflow's steps, or a
// group's sub-steps) until none can make progress. In StepByStep mode a step
// waits for every earlier step; in DAG mode only for its dependsOn.
func (r *run) schedule(ctx context.Context, steps []*appfile.Step, statuses []*v1beta1.StepStatus, mode v1beta1.WorkflowMode, group *v1beta1.StepStatus) error {
	byName := map[string]*v1beta1.StepStatus{}
	for i, s := range steps {
		byName[s.Name] = statuses[i]
	}
	for progress := true; progress && !r.suspended; {
		progress = false
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
			if err := r.step(ctx, s, ss, failedDep(deps, byName)); err != nil {
				return err
			}
			if terminal(ss) {
				progress = true
				if err := r.checkpoint(ctx); err != nil {
					return err
				}
			} else if ss.Phase == v1beta1.WorkflowStepPhaseSuspending {
				r.suspended = true
				return r.checkpoint(ctx)
			}
			if !terminal(ss) && mode == v1beta1.WorkflowModeStep {
				break
			}
		}
	}
	return nil
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

// checkpoint saves the context data and the status.
func (r *run) checkpoint(ctx context.Context) error {
	if err := r.in.Store.Save(ctx, r.data); err != nil {
		return err
	}
	r.saved = fingerprint(r.data)
	if r.in.Checkpoint != nil {
		return r.in.Checkpoint(ctx)
	}
	return nil
}
