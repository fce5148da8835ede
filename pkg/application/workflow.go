package application

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

// Step reasons the workflow operations read and write (KubeVela's values).
const (
	// ReasonTerminate marks a step failed because the workflow was terminated.
	ReasonTerminate = "Terminate"
	// ReasonFailedAfterRetries marks a step that exhausted its retries.
	ReasonFailedAfterRetries = "FailedAfterRetries"
	// ReasonTimeout marks a step that ran past its timeout.
	ReasonTimeout = "Timeout"
)

// patchStatus re-reads the Application, applies mutate to a copy and patches the status
// subresource with the difference, retrying on conflicts with the controller.
func patchStatus(ctx context.Context, c client.Client, app *v1beta1.Application, mutate func(*v1beta1.Application) error) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := Get(ctx, c, app.Namespace, app.Name)
		if err != nil {
			return err
		}
		next := cur.DeepCopy()
		if err := mutate(next); err != nil {
			return err
		}
		patch := client.MergeFromWithOptions(cur, client.MergeFromWithOptimisticLock{})
		if err := c.Status().Patch(ctx, next, patch); err != nil {
			return err
		}
		*app = *next
		return nil
	})
}

// Suspend suspends the workflow: status.workflow.suspend=true, and every running step
// (and sub-step) becomes suspending, as `vela workflow suspend` does. It reports false when
// the workflow has already finished (nothing changed).
func Suspend(ctx context.Context, c client.Client, app *v1beta1.Application) (bool, error) {
	err := patchStatus(ctx, c, app, func(a *v1beta1.Application) error {
		wf := a.Status.Workflow
		if wf == nil {
			return ErrNoWorkflow
		}
		if wf.Terminated {
			return ErrTerminated
		}
		if wf.Finished {
			return errUnchanged
		}
		wf.Suspend = true
		setStepPhases(wf.Steps, v1beta1.WorkflowStepPhaseRunning, v1beta1.WorkflowStepPhaseSuspending)
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return false, nil
	}
	return err == nil, err
}

// Resume resumes a suspended workflow: status.workflow.suspend=false, and every suspending
// step (a suspend step, or one suspended by Suspend) goes back to running so the controller
// finishes it. It reports false when the workflow was not suspended (nothing changed).
func Resume(ctx context.Context, c client.Client, app *v1beta1.Application) (bool, error) {
	resumed := false
	err := patchStatus(ctx, c, app, func(a *v1beta1.Application) error {
		wf := a.Status.Workflow
		if wf == nil {
			return ErrNoWorkflow
		}
		if wf.Terminated {
			return ErrTerminated
		}
		resumed = wf.Suspend || hasPhase(wf.Steps, v1beta1.WorkflowStepPhaseSuspending)
		if !resumed {
			return errUnchanged
		}
		wf.Suspend = false
		setStepPhases(wf.Steps, v1beta1.WorkflowStepPhaseSuspending, v1beta1.WorkflowStepPhaseRunning)
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return false, nil
	}
	return resumed, err
}

// Terminate terminates the workflow: terminated=true, suspend=false; running and suspending
// steps fail with reason Terminate, failed steps get reason Terminate unless they failed
// after retries or by timeout.
func Terminate(ctx context.Context, c client.Client, app *v1beta1.Application) error {
	return patchStatus(ctx, c, app, func(a *v1beta1.Application) error {
		wf := a.Status.Workflow
		if wf == nil {
			return ErrNoWorkflow
		}
		wf.Terminated = true
		wf.Suspend = false
		for i := range wf.Steps {
			terminateStep(&wf.Steps[i].StepStatus)
			for j := range wf.Steps[i].SubStepsStatus {
				terminateStep(&wf.Steps[i].SubStepsStatus[j])
			}
		}
		return nil
	})
}

func terminateStep(s *v1beta1.StepStatus) {
	switch s.Phase {
	case v1beta1.WorkflowStepPhaseFailed:
		if s.Reason != ReasonFailedAfterRetries && s.Reason != ReasonTimeout {
			s.Reason = ReasonTerminate
		}
	case v1beta1.WorkflowStepPhaseRunning, v1beta1.WorkflowStepPhaseSuspending:
		s.Phase = v1beta1.WorkflowStepPhaseFailed
		s.Reason = ReasonTerminate
	}
}

// Restart clears status.workflow, so the controller runs the workflow again from the
// first step, as `vela workflow restart` does.
func Restart(ctx context.Context, c client.Client, app *v1beta1.Application) error {
	return patchStatus(ctx, c, app, func(a *v1beta1.Application) error {
		if a.Status.Workflow == nil {
			return ErrNoWorkflow
		}
		a.Status.Workflow = nil
		return nil
	})
}

// setStepPhases moves every step and sub-step in phase from to phase to; a step group
// whose sub-step moves follows it.
func setStepPhases(steps []v1beta1.WorkflowStepStatus, from, to v1beta1.WorkflowStepPhase) {
	for i := range steps {
		moved := false
		for j := range steps[i].SubStepsStatus {
			if steps[i].SubStepsStatus[j].Phase == from {
				steps[i].SubStepsStatus[j].Phase = to
				moved = true
			}
		}
		if steps[i].Phase == from || moved {
			steps[i].Phase = to
		}
	}
}

func hasPhase(steps []v1beta1.WorkflowStepStatus, p v1beta1.WorkflowStepPhase) bool {
	for _, s := range steps {
		if s.Phase == p {
			return true
		}
		for _, sub := range s.SubStepsStatus {
			if sub.Phase == p {
				return true
			}
		}
	}
	return false
}

// Running reports whether the workflow is still executing (not suspended, terminated or
// finished); rollback refuses such a workflow.
func Running(app *v1beta1.Application) bool {
	wf := app.Status.Workflow
	return wf != nil && !wf.Terminated && !wf.Suspend && !wf.Finished
}

// describeStep names a step for messages: its name, else its id.
func describeStep(s v1beta1.StepStatus) string {
	if s.Name != "" {
		return s.Name
	}
	return fmt.Sprintf("id %s", s.ID)
}
