package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
)

// collectGarbage runs after the workflow of the current revision finished:
// resources recorded by older versioned trackers that the current revision
// does not declare are deleted (garbage-collect policy permitting), then the
// old trackers. The trackers are the journal: a tracker is deleted only after
// its resources are gone, so a crash midway resumes on the next reconcile.
// It reports whether deletions are still in progress.
func (r *Reconciler) collectGarbage(ctx context.Context, s *appState) (bool, error) {
	st := s.app.Status.Workflow
	if st == nil || st.AppRevision != workflowRevision(s) || !st.Finished || st.Terminated {
		return false, nil
	}
	pol, err := s.resourcePolicies()
	if err != nil {
		return false, err
	}
	if st.Phase != v1beta1.WorkflowRunSucceeded && !(st.Phase == v1beta1.WorkflowRunFailed && pol.gc.ContinueOnFailure) {
		return false, nil
	}
	if pol.gc.KeepLegacyResource {
		return false, nil
	}
	if r.collected.clean(s.app, s.rev.Name) {
		return false, nil
	}
	rts, err := r.trackers(ctx, s.app, r.owned.trackerList(s.app)...)
	if err != nil {
		return false, err
	}
	current := versionedTrackerName(s.app, s.rev.Name)
	inUse := map[string]bool{}
	var root *v1beta1.ResourceTracker
	var old []*v1beta1.ResourceTracker
	for i := range rts {
		rt := &rts[i]
		switch {
		case rt.Spec.Type == v1beta1.ResourceTrackerTypeRoot:
			root = rt
		case rt.Spec.Type == v1beta1.ResourceTrackerTypeVersioned && rt.Name != current:
			old = append(old, rt)
			continue
		case rt.Name != current:
			continue
		}
		for _, mr := range rt.Spec.ManagedResources {
			inUse[mrKey(mr)] = true
		}
	}
	sort.Slice(old, func(i, j int) bool { return old[i].Name < old[j].Name })
	if len(old) == 0 {
		r.collected.record(s.app, s.rev.Name)
	}
	pending := false
	for _, rt := range old {
		waiting, err := r.collectTracker(ctx, s.app, pol, rt, root, inUse)
		if err != nil {
			return false, err
		}
		pending = pending || waiting
	}
	if len(old) > 0 {
		s.app.Status.AppliedResources = slices.DeleteFunc(s.app.Status.AppliedResources, func(ref v1beta1.ClusterObjectReference) bool {
			return !inUse[mrKey(v1beta1.ManagedResource{ClusterObjectReference: ref})]
		})
	}
	return pending, nil
}

// collectedRevisions remembers, per Application, the revision whose garbage
// collection found no outdated tracker. Only a workflow run of another revision
// makes a versioned tracker, so until the revision changes the trackers are
// not listed again on every reconcile (re-syncs included). A restarted
// controller lists them once more.
type collectedRevisions struct {
	mu sync.Mutex
	m  map[types.NamespacedName]string
}

func newCollectedRevisions() *collectedRevisions {
	return &collectedRevisions{m: map[types.NamespacedName]string{}}
}

func collectedKey(app *v1beta1.Application, rev string) string { return string(app.UID) + "/" + rev }

// clean reports whether rev of app was found without outdated trackers.
func (c *collectedRevisions) clean(app *v1beta1.Application, rev string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[client.ObjectKeyFromObject(app)] == collectedKey(app, rev)
}

// record notes that rev of app has no outdated trackers.
func (c *collectedRevisions) record(app *v1beta1.Application, rev string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[client.ObjectKeyFromObject(app)] = collectedKey(app, rev)
}

// forget drops what is known of an Application (deleted or being deleted).
func (c *collectedRevisions) forget(k types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}

// collectTracker deletes what the outdated tracker rt records and nothing in
// use; resources kept until the app is deleted move to the root tracker. It
// deletes rt once nothing it records waits; it reports waiting deletions.
func (r *Reconciler) collectTracker(ctx context.Context, app *v1beta1.Application, pol *resourcePolicies, rt, root *v1beta1.ResourceTracker, inUse map[string]bool) (bool, error) {
	var doomed, keep []v1beta1.ManagedResource
	for _, mr := range rt.Spec.ManagedResources {
		if inUse[mrKey(mr)] || mr.SkipGC {
			continue
		}
		switch strategy, _ := pol.gcStrategy(manifestOf(mr)); strategy {
		case gcNever:
		case gcOnAppDelete:
			keep = append(keep, mr)
		default:
			doomed = append(doomed, mr)
		}
	}
	if len(keep) > 0 {
		if err := r.keepInRoot(ctx, app, root, keep); err != nil {
			return false, err
		}
	}
	if waiting := r.deleteResources(ctx, app, pol, doomed); len(waiting) > 0 {
		return true, nil
	}
	if err := r.client.Delete(ctx, rt); client.IgnoreNotFound(err) != nil {
		return false, fmt.Errorf("deleting outdated ResourceTracker %s: %w", rt.Name, err)
	}
	return false, nil
}

// keepInRoot records mrs in the root tracker, so only deleting the app deletes them.
func (r *Reconciler) keepInRoot(ctx context.Context, app *v1beta1.Application, root *v1beta1.ResourceTracker, mrs []v1beta1.ManagedResource) error {
	t := r.newTracker(app, "")
	if root == nil {
		var err error
		if root, err = t.get(ctx, rootTrackerName(app), v1beta1.ResourceTrackerTypeRoot); err != nil {
			return err
		}
	}
	changed := false
	for _, mr := range mrs {
		changed = upsert(root, mr) || changed
	}
	if !changed {
		return nil
	}
	if err := t.write(ctx, root); err != nil {
		return fmt.Errorf("keeping resources in ResourceTracker %s: %w", root.Name, err)
	}
	return nil
}

// manifestOf is the recorded manifest of mr, or an object with what the
// tracker knows of it, for matching policy rules.
func manifestOf(mr v1beta1.ManagedResource) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	if mr.Data != nil && len(mr.Data.Raw) > 0 && json.Unmarshal(mr.Data.Raw, &u.Object) == nil && u.Object != nil {
		return u
	}
	u.Object = map[string]any{}
	u.SetAPIVersion(mr.APIVersion)
	u.SetKind(mr.Kind)
	u.SetNamespace(mr.Namespace)
	u.SetName(mr.Name)
	labels := map[string]string{}
	if mr.Component != "" {
		labels[oam.LabelAppComponent] = mr.Component
		labels[oam.LabelOAMResourceType] = oam.ResourceTypeWorkload
	}
	if mr.Trait != "" {
		labels[oam.TraitTypeLabel] = mr.Trait
		labels[oam.LabelOAMResourceType] = oam.ResourceTypeTrait
	}
	u.SetLabels(labels)
	return u
}

// pendingDeletion is a resource that is not gone yet, with the error that
// kept it when deleting it failed (a member that does not answer).
type pendingDeletion struct {
	mr  v1beta1.ManagedResource
	err error
}

// String reads `ConfigMap default/x`, with the cluster and error when there are.
func (p pendingDeletion) String() string {
	s := p.mr.Kind + " " + objectName(manifestOf(p.mr))
	if !isLocal(p.mr.Cluster) {
		s += " in cluster " + p.mr.Cluster
	}
	if p.err != nil {
		s += " (" + p.err.Error() + ")"
	}
	return s
}

// deleteResources deletes mrs, dependents first when the garbage-collect
// policy asks for `order: dependency`; it returns the ones not gone yet. A
// resource that cannot be deleted now waits; it does not stop the others.
func (r *Reconciler) deleteResources(ctx context.Context, app *v1beta1.Application, pol *resourcePolicies, mrs []v1beta1.ManagedResource) []pendingDeletion {
	var waiting []pendingDeletion
	del := func(mr v1beta1.ManagedResource) {
		gone, err := r.deleteResource(ctx, app, pol, mr)
		if err != nil {
			r.memberDown(mr.Cluster, err) // a member that does not answer starts its back-off
			logr.FromContextOrDiscard(ctx).Info("deleting a tracked resource failed; retrying", "resource", mr.Kind+" "+mr.Namespace+"/"+mr.Name, "cluster", mr.Cluster, "error", err.Error())
		}
		if !gone || err != nil {
			waiting = append(waiting, pendingDeletion{mr: mr, err: err})
		}
	}
	if pol.gc.Order != gcOrderDependency {
		for _, mr := range mrs {
			del(mr)
		}
		return waiting
	}
	byComp := map[string][]v1beta1.ManagedResource{}
	for _, mr := range mrs {
		byComp[mr.Component] = append(byComp[mr.Component], mr)
	}
	blocked := map[string]bool{} // components with resources not gone yet
	for _, comp := range dependentsFirst(app, byComp) {
		before := len(waiting)
		wait := false
		for _, dep := range dependentsOf(app, comp) {
			wait = wait || blocked[dep]
		}
		for _, mr := range byComp[comp] {
			if wait {
				waiting = append(waiting, pendingDeletion{mr: mr})
				continue
			}
			del(mr)
		}
		blocked[comp] = len(waiting) > before
	}
	return waiting
}

// dependentsOf are the components that depend on comp, directly or not.
func dependentsOf(app *v1beta1.Application, comp string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(c string) {
		for _, x := range app.Spec.Components {
			if !seen[x.Name] && slices.Contains(x.DependsOn, c) {
				seen[x.Name] = true
				walk(x.Name)
			}
		}
	}
	walk(comp)
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	return out
}

// dependentsFirst orders the components of byComp so every component comes
// after the components that depend on it.
func dependentsFirst(app *v1beta1.Application, byComp map[string][]v1beta1.ManagedResource) []string {
	comps := make([]string, 0, len(byComp))
	for c := range byComp {
		comps = append(comps, c)
	}
	sort.Strings(comps)
	sort.SliceStable(comps, func(i, j int) bool {
		return len(dependentsOf(app, comps[i])) < len(dependentsOf(app, comps[j]))
	})
	return comps
}

// deleteResource deletes one tracked resource unless policies keep it; it
// reports whether the application is done with it. An object another
// application owns is never deleted; a shared one is only deleted by its last
// sharer, the others remove themselves from app.oam.dev/shared-by.
func (r *Reconciler) deleteResource(ctx context.Context, app *v1beta1.Application, pol *resourcePolicies, mr v1beta1.ManagedResource) (bool, error) {
	if mr.SkipGC {
		return true, nil
	}
	m := manifestOf(mr)
	strategy, propagation := pol.gcStrategy(m)
	if strategy == gcNever || pol.isReadOnly(m) {
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
	ref := &unstructured.Unstructured{}
	ref.SetGroupVersionKind(gv.WithKind(mr.Kind))
	ref.SetNamespace(mr.Namespace)
	ref.SetName(mr.Name)
	live, err := getLive(ctx, c, ref)
	if err != nil || live == nil {
		return live == nil && err == nil, err
	}
	me := appKey(app)
	owner := ownerOf(live, app)
	if list := sharers(live); slices.Contains(list, me) && len(list) > 1 {
		return true, r.unshare(ctx, c, live, me, owner, list)
	}
	if owner != "" && owner != me {
		return true, nil
	}
	if live.GetDeletionTimestamp() == nil {
		policy := metav1.DeletePropagationBackground
		if propagation == propagationOrphan {
			policy = metav1.DeletePropagationOrphan
		}
		if err := c.Delete(ctx, live, client.PropagationPolicy(policy)); client.IgnoreNotFound(err) != nil {
			return false, fmt.Errorf("deleting %s %s: %w", mr.Kind, objectName(live), err)
		}
	}
	after, err := getLive(ctx, c, ref)
	if err != nil {
		return false, err
	}
	return after == nil || after.GetUID() != live.GetUID(), nil
}

// unshare removes me from the sharers of live; when me owned it, the next
// sharer becomes the owner.
func (r *Reconciler) unshare(ctx context.Context, c client.Client, live *unstructured.Unstructured, me, owner string, list []string) error {
	list = slices.DeleteFunc(list, func(s string) bool { return s == me })
	setAnnotation(live, oam.AnnotationAppSharedBy, strings.Join(list, ","))
	if owner == me {
		ns, name, _ := strings.Cut(list[0], "/")
		labels := live.GetLabels()
		labels[oam.LabelAppName], labels[oam.LabelAppNamespace] = name, ns
		live.SetLabels(labels)
	}
	if err := c.Update(ctx, live); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("leaving the sharers of %s %s: %w", live.GetKind(), objectName(live), err)
	}
	return nil
}
