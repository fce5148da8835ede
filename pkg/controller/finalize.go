package controller

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
)

// addFinalizer starts adding the resource-tracker finalizer, so deleting the
// Application first deletes what it created. The write is of a copy taken now
// and runs while the reconcile parses the Application and prepares its
// revision (one request less on the way to the first apply). join, called
// once, waits for it and brings its resourceVersion into the Application and
// into what the reconcile read (s.readVersion); nothing is applied and nothing
// else writes the Application before join returned nil.
func (r *Reconciler) addFinalizer(ctx context.Context, s *appState) (join func() error) {
	if controllerutil.ContainsFinalizer(s.app, oam.FinalizerResourceTracker) {
		return func() error { return nil }
	}
	cp := s.app.DeepCopy()
	controllerutil.AddFinalizer(cp, oam.FinalizerResourceTracker)
	done := make(chan error, 1)
	go func() { done <- r.client.Update(ctx, cp) }()
	return func() error {
		if err := <-done; err != nil {
			return fmt.Errorf("adding finalizer: %w", err)
		}
		s.app.Finalizers, s.app.ResourceVersion, s.app.ManagedFields = cp.Finalizers, cp.ResourceVersion, cp.ManagedFields
		s.readVersion = cp.ResourceVersion
		return nil
	}
}

// finalize deletes every resource the Application's trackers record (as
// its garbage-collect, read-only and shared-resource policies allow), then the
// trackers, then removes the finalizer. A resource that does not go away (a
// finalizer blocks it) does not stop the others from being deleted; it keeps
// the Application in `deleting`, named in its Ready condition.
func (r *Reconciler) finalize(ctx context.Context, app *v1beta1.Application) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(app, oam.FinalizerResourceTracker) {
		return ctrl.Result{}, nil
	}
	rts, err := r.trackers(ctx, app)
	if err != nil {
		return ctrl.Result{}, err
	}
	pol, err := parseResourcePolicies(app)
	if err != nil {
		pol = &resourcePolicies{} // a bad policy must not keep the app from being deleted
	}
	seen := map[string]bool{}
	var mrs []v1beta1.ManagedResource
	for _, rt := range rts {
		for _, mr := range rt.Spec.ManagedResources {
			if !seen[mrKey(mr)] {
				seen[mrKey(mr)] = true
				mrs = append(mrs, mr)
			}
		}
	}
	if left := r.deleteResources(ctx, app, pol, mrs); len(left) > 0 {
		waiting := make([]string, 0, len(left))
		down := map[string]error{} // why a member's resources wait: it does not answer
		for _, p := range left {
			if !isLocal(p.mr.Cluster) {
				if _, checked := down[p.mr.Cluster]; !checked {
					_, down[p.mr.Cluster] = r.clientFor(ctx, p.mr.Cluster)
				}
				if err := down[p.mr.Cluster]; err != nil {
					p.err = err
				}
			}
			waiting = append(waiting, p.String())
		}
		app.Status.Phase = v1beta1.ApplicationDeleting
		app.Status.SetConditions(v1beta1.Condition{Type: v1beta1.TypeReady, Status: "False", Reason: v1beta1.ReasonDeleting,
			Message: "waiting for deletion of " + strings.Join(waiting, ", ")})
		if err := r.client.Status().Update(ctx, app); err != nil && !apierrors.IsNotFound(err) {
			return ctrl.Result{}, err
		}
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	}
	for i := range rts {
		if err := r.client.Delete(ctx, &rts[i]); client.IgnoreNotFound(err) != nil {
			return ctrl.Result{}, fmt.Errorf("deleting ResourceTracker %s: %w", rts[i].Name, err)
		}
	}
	controllerutil.RemoveFinalizer(app, oam.FinalizerResourceTracker)
	if err := r.client.Update(ctx, app); client.IgnoreNotFound(err) != nil {
		return ctrl.Result{}, fmt.Errorf("removing finalizer: %w", err)
	}
	r.metrics.setPhase(app.Namespace+"/"+app.Name, "")
	return ctrl.Result{}, nil
}

// isNoKind reports a kind the cluster no longer serves (its CRD was removed).
func isNoKind(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "no matches for kind") || apierrors.IsMethodNotSupported(err))
}
