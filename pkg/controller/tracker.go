package controller

import (
	"context"
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
)

// versionedTrackerName is `<app>-v<generation>-<namespace>`.
func versionedTrackerName(app *v1beta1.Application) string {
	return app.Name + "-v" + strconv.FormatInt(app.Generation, 10) + "-" + app.Namespace
}

// rootTrackerName is `<app>-<namespace>`.
func rootTrackerName(app *v1beta1.Application) string { return app.Name + "-" + app.Namespace }

func trackerLabels(app *v1beta1.Application) map[string]string {
	return map[string]string{oam.LabelAppName: app.Name, oam.LabelAppNamespace: app.Namespace}
}

// tracker records the resources one generation of an Application applied,
// in its versioned ResourceTracker, before they are applied.
type tracker struct {
	client client.Client
	// reader reads trackers uncached: a stale one would make the update conflict.
	reader client.Reader
	app    *v1beta1.Application
	rt     *v1beta1.ResourceTracker
	known  map[string]bool
}

func refKey(cluster string, r corev1.ObjectReference) string {
	return clusterKey(cluster) + "|" + r.APIVersion + "/" + r.Kind + "/" + r.Namespace + "/" + r.Name
}

// load reads (or creates) the versioned and root trackers.
func (t *tracker) load(ctx context.Context) error {
	if t.rt != nil {
		return nil
	}
	for _, spec := range []struct {
		name string
		typ  v1beta1.ResourceTrackerType
	}{{rootTrackerName(t.app), v1beta1.ResourceTrackerTypeRoot}, {versionedTrackerName(t.app), v1beta1.ResourceTrackerTypeVersioned}} {
		rt := &v1beta1.ResourceTracker{}
		err := t.reader.Get(ctx, client.ObjectKey{Name: spec.name}, rt)
		if apierrors.IsNotFound(err) {
			rt = &v1beta1.ResourceTracker{
				ObjectMeta: metav1.ObjectMeta{Name: spec.name, Labels: trackerLabels(t.app)},
				Spec:       v1beta1.ResourceTrackerSpec{Type: spec.typ, ApplicationGeneration: t.app.Generation},
			}
			err = t.client.Create(ctx, rt)
		}
		if err != nil {
			return fmt.Errorf("preparing ResourceTracker %s: %w", spec.name, err)
		}
		t.rt = rt
	}
	t.known = map[string]bool{}
	for _, m := range t.rt.Spec.ManagedResources {
		t.known[refKey(m.Cluster, m.ObjectReference)] = true
	}
	return nil
}

// track adds objs in the hub (rendered for component, "" for workflow-created objects) to the tracker.
func (t *tracker) track(ctx context.Context, component string, objs ...*unstructured.Unstructured) error {
	return t.trackIn(ctx, "", component, objs...)
}

// trackIn adds objs in cluster ("" or "local": the hub) to the tracker.
func (t *tracker) trackIn(ctx context.Context, cluster, component string, objs ...*unstructured.Unstructured) error {
	if err := t.load(ctx); err != nil {
		return err
	}
	changed := false
	for _, o := range objs {
		ref := corev1.ObjectReference{APIVersion: o.GetAPIVersion(), Kind: o.GetKind(), Namespace: o.GetNamespace(), Name: o.GetName()}
		if t.known[refKey(cluster, ref)] {
			continue
		}
		t.known[refKey(cluster, ref)] = true
		mr := v1beta1.ManagedResource{ClusterObjectReference: v1beta1.ClusterObjectReference{Cluster: clusterKey(cluster), ObjectReference: ref}}
		mr.Component = component
		mr.Trait = o.GetLabels()[oam.TraitTypeLabel]
		if component == "" {
			mr.Creator = "workflow"
		}
		t.rt.Spec.ManagedResources = append(t.rt.Spec.ManagedResources, mr)
		changed = true
	}
	if !changed {
		return nil
	}
	if err := t.client.Update(ctx, t.rt); err != nil {
		t.rt = nil // re-read on the next call
		return fmt.Errorf("recording resources in ResourceTracker: %w", err)
	}
	return nil
}

// trackers lists every ResourceTracker of app.
func (r *Reconciler) trackers(ctx context.Context, app *v1beta1.Application) ([]v1beta1.ResourceTracker, error) {
	var l v1beta1.ResourceTrackerList
	if err := r.reader.List(ctx, &l, client.MatchingLabels(trackerLabels(app))); err != nil {
		return nil, fmt.Errorf("listing ResourceTrackers: %w", err)
	}
	return l.Items, nil
}
