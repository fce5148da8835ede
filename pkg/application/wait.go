package application

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

// PollInterval is how often the Wait functions read the Application.
const PollInterval = 500 * time.Millisecond

// Progress is told the Application's state on every poll of a wait.
type Progress func(app *v1beta1.Application)

// SuspendedError says the workflow stopped at a suspend point instead of running through.
type SuspendedError struct {
	// App is the Application's name.
	App string
	// Step is the suspending step, when known.
	Step string
}

// Error reads `the workflow of application "x" is suspended at step "approve": resume it
// with vela workflow resume x`.
func (e *SuspendedError) Error() string {
	at := ""
	if e.Step != "" {
		at = fmt.Sprintf(" at step %q", e.Step)
	}
	return fmt.Sprintf("the workflow of application %q is suspended%s: resume it with vela workflow resume %s", e.App, at, e.App)
}

// WaitRunning polls until the controller reports the applied Application running, having
// observed its generation (and run its publish version, if any). A failed or terminated
// workflow or bad input returns an error carrying the status message, a suspended workflow
// a *SuspendedError; ctx bounds the wait.
func WaitRunning(ctx context.Context, c client.Client, a Applied, progress Progress) (*v1beta1.Application, error) {
	namespace, name := a.Namespace, a.Name
	var last *v1beta1.Application
	for {
		app, err := Get(ctx, c, namespace, name)
		if err != nil && (permanent(err) || IsNotFound(err)) {
			return nil, err
		}
		if app != nil {
			last = app
			if progress != nil {
				progress(app)
			}
			if observed(app, a) {
				if done, err := settled(app); done {
					return app, err
				}
			}
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("application %s/%s is not running yet (%s): %w", namespace, name, Describe(last), ctx.Err())
		case <-time.After(PollInterval):
		}
	}
}

// observed reports whether the status reflects what was applied.
func observed(app *v1beta1.Application, a Applied) bool {
	if app.Status.ObservedGeneration < a.Generation {
		return false
	}
	wf := app.Status.Workflow
	return a.PublishVersion == "" || wf != nil && wf.AppRevision == a.PublishVersion
}

// settled reports whether the phase ends a wait for running, and with which error.
func settled(app *v1beta1.Application) (bool, error) {
	switch app.Status.Phase {
	case v1beta1.ApplicationRunning:
		// A workflow restart clears status.workflow and leaves the old phase until the
		// controller runs the workflow again.
		return app.Status.Workflow != nil, nil
	case v1beta1.ApplicationWorkflowFailed, v1beta1.ApplicationWorkflowTerminated:
		return true, fmt.Errorf("application %s/%s: %s", app.Namespace, app.Name, Describe(app))
	case v1beta1.ApplicationWorkflowSuspending:
		return true, &SuspendedError{App: app.Name, Step: stepIn(app, v1beta1.WorkflowStepPhaseSuspending, v1beta1.WorkflowStepPhaseRunning)}
	}
	for _, t := range inputConditions() {
		if cond := app.Status.GetCondition(t); cond.Status == "False" {
			return true, fmt.Errorf("application %s/%s cannot be delivered as written: %s: %s", app.Namespace, app.Name, t, cond.Message)
		}
	}
	return false, nil
}

// inputConditions are the conditions a controller sets false for bad input (unknown type,
// CUE error, missing parameter, cycle); only a change of the spec or definitions fixes them.
func inputConditions() []v1beta1.ConditionType {
	return []v1beta1.ConditionType{v1beta1.ConditionParsed, v1beta1.ConditionRevision, v1beta1.ConditionPolicy, v1beta1.ConditionRender}
}

// WaitDeleted polls until the Application is gone; ctx bounds the wait.
func WaitDeleted(ctx context.Context, c client.Client, namespace, name string, progress Progress) error {
	for {
		app, err := Get(ctx, c, namespace, name)
		if IsNotFound(err) {
			return nil
		}
		if err != nil && permanent(err) {
			return err
		}
		if app != nil && progress != nil {
			progress(app)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("application %s/%s still exists (%s; finalizers %v): %w", namespace, name, Describe(app), finalizers(app), ctx.Err())
		case <-time.After(PollInterval):
		}
	}
}

// permanent reports a read error that waiting will not cure (no OAM CRDs, no
// permission); others — a dropped connection, the client's rate limiter giving
// up just before the deadline — are retried until ctx ends.
func permanent(err error) bool {
	return meta.IsNoMatchError(err) || apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err)
}

func finalizers(app *v1beta1.Application) []string {
	if app == nil {
		return nil
	}
	return app.Finalizers
}

// Describe summarises an Application's state in one line: its phase, the current step and
// the messages of failed steps and false conditions.
func Describe(app *v1beta1.Application) string {
	if app == nil {
		return "not read yet"
	}
	parts := []string{"phase " + string(app.Status.Phase)}
	if app.Status.Phase == "" {
		parts[0] = "no status yet (is the controller running?)"
	}
	if wf := app.Status.Workflow; wf != nil {
		if s := stepIn(app, v1beta1.WorkflowStepPhaseRunning, v1beta1.WorkflowStepPhaseSuspending); s != "" {
			parts = append(parts, "step "+s)
		}
		if wf.Message != "" {
			parts = append(parts, wf.Message)
		}
		for _, s := range wf.Steps {
			if s.Phase == v1beta1.WorkflowStepPhaseFailed && s.Message != "" {
				parts = append(parts, fmt.Sprintf("step %s failed: %s", describeStep(s.StepStatus), s.Message))
			}
		}
	}
	for _, cond := range app.Status.Conditions {
		if cond.Status == "False" && cond.Message != "" {
			parts = append(parts, fmt.Sprintf("%s: %s", cond.Type, cond.Message))
		}
	}
	return strings.Join(parts, ", ")
}

// stepIn names the first step (or sub-step) in one of phases.
func stepIn(app *v1beta1.Application, phases ...v1beta1.WorkflowStepPhase) string {
	if app.Status.Workflow == nil {
		return ""
	}
	in := func(p v1beta1.WorkflowStepPhase) bool {
		for _, q := range phases {
			if p == q {
				return true
			}
		}
		return false
	}
	for _, s := range app.Status.Workflow.Steps {
		for _, sub := range s.SubStepsStatus {
			if in(sub.Phase) {
				return describeStep(sub)
			}
		}
		if in(s.Phase) {
			return describeStep(s.StepStatus)
		}
	}
	return ""
}
