package controller

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
)

// ensureFinalizer adds the resource-tracker finalizer so deleting the
// Application first deletes what it created.
func (r *Reconciler) ensureFinalizer(ctx context.Context, app *v1beta1.Application) error {
	if controllerutil.ContainsFinalizer(app, oam.FinalizerResourceTracker) {
		return nil
	}
	controllerutil.AddFinalizer(app, oam.FinalizerResourceTracker)
	if err := r.client.Update(ctx, app); err != nil {
		return fmt.Errorf("adding finalizer: %w", err)
	}
	return nil
}

// finalize deletes every resource the Application's trackers record, then the
// trackers, then removes the finalizer. Resources still terminating keep the
// Application in `deleting` and are listed in its Ready condition.
func (r *Reconciler) finalize(ctx context.Context, app *v1beta1.Application) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(app, oam.FinalizerResourceTracker) {
		return ctrl.Result{}, nil
	}
	rts, err := r.trackers(ctx, app)
	if err != nil {
		return ctrl.Result{}, err
	}
	var waiting []string
	for _, rt := range rts {
		for _, mr := range rt.Spec.ManagedResources {
			gone, err := r.deleteResource(ctx, mr)
			if err != nil {
				return ctrl.Result{}, err
			}
			if !gone {
				waiting = append(waiting, mr.Kind+" "+mr.Namespace+"/"+mr.Name)
			}
		}
	}
	if len(waiting) > 0 {
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

// deleteResource deletes one tracked resource; it reports whether it is gone.
func (r *Reconciler) deleteResource(ctx context.Context, mr v1beta1.ManagedResource) (bool, error) {
	if mr.SkipGC {
		return true, nil
	}
	gv, err := schema.ParseGroupVersion(mr.APIVersion)
	if err != nil {
		return true, nil
	}
	c, err := r.clientFor(ctx, mr.Cluster)
	if err != nil {
		return false, fmt.Errorf("deleting %s %s: %w", mr.Kind, mr.Name, err)
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gv.WithKind(mr.Kind))
	u.SetNamespace(mr.Namespace)
	u.SetName(mr.Name)
	err = c.Get(ctx, client.ObjectKeyFromObject(u), u)
	switch {
	case apierrors.IsNotFound(err) || isNoKind(err):
		return true, nil
	case err != nil:
		return false, fmt.Errorf("reading %s %s: %w", mr.Kind, mr.Name, err)
	}
	if u.GetDeletionTimestamp() == nil {
		if err := c.Delete(ctx, u, client.PropagationPolicy("Background")); client.IgnoreNotFound(err) != nil {
			return false, fmt.Errorf("deleting %s %s: %w", mr.Kind, mr.Name, err)
		}
	}
	return false, nil
}

// isNoKind reports a kind the cluster no longer serves (its CRD was removed).
func isNoKind(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "no matches for kind") || apierrors.IsMethodNotSupported(err))
}
