package controller

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	ctrl "sigs.k8s.io/controller-runtime"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/appfile"
)

// inputErrorRequeue is how soon an Application with bad input is looked at
// again (a missing definition may be installed meanwhile).
const inputErrorRequeue = 30 * time.Second

// appPhase maps the workflow phase to status.status.
func appPhase(parsed bool, wf v1beta1.WorkflowRunPhase, healthy bool) v1beta1.ApplicationPhase {
	switch {
	case !parsed:
		return v1beta1.ApplicationRendering
	case wf == v1beta1.WorkflowRunSuspending:
		return v1beta1.ApplicationWorkflowSuspending
	case wf == v1beta1.WorkflowRunTerminated:
		return v1beta1.ApplicationWorkflowTerminated
	case wf == v1beta1.WorkflowRunFailed:
		return v1beta1.ApplicationWorkflowFailed
	case wf == v1beta1.WorkflowRunSucceeded && healthy:
		return v1beta1.ApplicationRunning
	case wf == v1beta1.WorkflowRunSucceeded:
		return v1beta1.ApplicationUnhealthy
	}
	return v1beta1.ApplicationRunningWorkflow
}

// setServices writes status.services in component order, and the objects
// applied in this reconcile into status.appliedResources.
func (r *Reconciler) setServices(s *appState) {
	if s.af == nil {
		return
	}
	for _, ref := range s.applied {
		if !hasRef(s.app.Status.AppliedResources, ref) {
			s.app.Status.AppliedResources = append(s.app.Status.AppliedResources, ref)
		}
	}
	var names []string
	known := map[string]bool{}
	for _, c := range s.af.Components {
		known[c.Name] = true
		names = append(names, c.Name)
	}
	// then components an override policy added, and old entries of those
	var added []string
	for _, st := range s.services {
		if !known[st.Name] {
			known[st.Name] = true
			added = append(added, st.Name)
		}
	}
	if !s.freshRun {
		for _, old := range s.app.Status.Services {
			if !known[old.Name] {
				known[old.Name] = true
				added = append(added, old.Name)
			}
		}
	}
	sort.Strings(added)
	var out []v1beta1.ApplicationComponentStatus
	for _, name := range append(names, added...) {
		out = append(out, s.servicesOf(name)...)
	}
	s.app.Status.Services = out
}

// servicesOf returns the statuses of a component, by cluster then namespace:
// this reconcile's, and the last status's for the other placements unless the
// workflow started over for a new revision.
func (s *appState) servicesOf(name string) []v1beta1.ApplicationComponentStatus {
	var out []v1beta1.ApplicationComponentStatus
	for _, st := range s.services {
		if st.Name == name {
			out = append(out, *st)
		}
	}
	if !s.freshRun || len(out) == 0 {
		for _, old := range oldServices(s, name) {
			if _, ok := s.services[serviceKey(&old)]; !ok {
				out = append(out, old)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Cluster != out[j].Cluster {
			return out[i].Cluster < out[j].Cluster
		}
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].ReplicaKey < out[j].ReplicaKey
	})
	return out
}

// statusUnchanged reports that the status this reconcile ends with is the one
// it read and nothing wrote the Application meanwhile (a re-sync of a running
// Application): then there is nothing to write. A change by someone else that
// the cache had not shown yet brings its own event and reconcile.
func (s *appState) statusUnchanged() bool {
	return s.readStatus != nil && s.app.ResourceVersion == s.readVersion && equality.Semantic.DeepEqual(*s.readStatus, s.app.Status)
}

// finish writes the final status of a reconcile and decides when to look again.
func (r *Reconciler) finish(ctx context.Context, s *appState) (ctrl.Result, error) {
	app := s.app
	r.setServices(s)
	healthy := true
	for _, st := range app.Status.Services {
		healthy = healthy && st.Healthy
	}
	app.Status.Phase = appPhase(true, s.outcome.Phase, healthy)
	app.Status.ObservedGeneration = app.Generation
	conds := []v1beta1.Condition{
		v1beta1.ReadyCondition(v1beta1.ConditionParsed), v1beta1.ReadyCondition(v1beta1.ConditionRevision),
		v1beta1.ReadyCondition(v1beta1.ConditionRender),
	}
	switch s.outcome.Phase {
	case v1beta1.WorkflowRunFailed:
		conds = append(conds, v1beta1.ErrorCondition(v1beta1.ConditionWorkflow, errors.New(failedStepMessage(app.Status.Workflow))))
	default:
		conds = append(conds, v1beta1.ReadyCondition(v1beta1.ConditionWorkflow))
	}
	app.Status.SetConditions(conds...)
	if !s.statusUnchanged() {
		if err := r.client.Status().Update(ctx, app); err != nil {
			return ctrl.Result{}, err
		}
	}
	r.metrics.setPhase(app.Namespace+"/"+app.Name, string(app.Status.Phase))
	logr.FromContextOrDiscard(ctx).V(1).Info("reconciled", "phase", app.Status.Phase, "revision", s.rev.Name,
		"workflow", app.Status.Workflow.Phase, "requeueAfter", s.outcome.RequeueAfter)
	requeue := s.outcome.RequeueAfter
	if requeue == 0 {
		requeue = r.opts.ResyncPeriod
		if app.Status.Phase == v1beta1.ApplicationUnhealthy {
			requeue = r.opts.Workflow.WaitInterval
			if requeue == 0 {
				requeue = 5 * time.Second
			}
		}
	}
	return ctrl.Result{RequeueAfter: requeue}, nil
}

// failedStepMessage names the failed steps and why.
func failedStepMessage(wf *v1beta1.WorkflowStatus) string {
	msg := "workflow failed"
	for _, s := range wf.Steps {
		for _, st := range append([]v1beta1.StepStatus{s.StepStatus}, s.SubStepsStatus...) {
			if st.Phase == v1beta1.WorkflowStepPhaseFailed && st.Reason != "" {
				msg += "; step " + st.Name + " (" + st.Reason + "): " + st.Message
			}
		}
	}
	return msg
}

// inputError records bad input (unknown type, CUE error, missing parameter,
// cycle) as a condition; it is not returned, so there is no hot retry loop.
func (r *Reconciler) inputError(ctx context.Context, s *appState, t v1beta1.ConditionType, err error) (ctrl.Result, error) {
	logr.FromContextOrDiscard(ctx).V(1).Info("application has bad input", "condition", t, "error", err.Error())
	app := s.app
	app.Status.Phase = v1beta1.ApplicationRendering
	if t == v1beta1.ConditionRender {
		app.Status.SetConditions(v1beta1.ReadyCondition(v1beta1.ConditionParsed))
	}
	app.Status.SetConditions(v1beta1.ErrorCondition(t, err))
	app.Status.ObservedGeneration = app.Generation
	if uerr := r.client.Status().Update(ctx, app); uerr != nil {
		return ctrl.Result{}, uerr
	}
	r.metrics.setPhase(app.Namespace+"/"+app.Name, string(app.Status.Phase))
	var nf *appfile.NotFoundError
	if errors.As(err, &nf) {
		return ctrl.Result{RequeueAfter: inputErrorRequeue}, nil
	}
	return ctrl.Result{RequeueAfter: r.opts.ResyncPeriod}, nil
}

// keepError records a failing phase in a condition and returns err for a retry with backoff.
func (r *Reconciler) keepError(ctx context.Context, s *appState, t v1beta1.ConditionType, err error) error {
	if isConflict(err) {
		return err
	}
	s.app.Status.SetConditions(v1beta1.ErrorCondition(t, err))
	if uerr := r.client.Status().Update(ctx, s.app); uerr != nil {
		return errors.Join(err, uerr)
	}
	return err
}

func hasRef(refs []v1beta1.ClusterObjectReference, ref v1beta1.ClusterObjectReference) bool {
	for _, r := range refs {
		if r.Cluster == ref.Cluster && r.APIVersion == ref.APIVersion && r.Kind == ref.Kind && r.Namespace == ref.Namespace && r.Name == ref.Name {
			return true
		}
	}
	return false
}
