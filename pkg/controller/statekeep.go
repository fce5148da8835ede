package controller

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
)

// gcRequeue is how soon an Application whose garbage is still being deleted is looked at again.
const gcRequeue = 2 * time.Second

// lifecycle runs once the workflow of the current revision finished: it keeps
// the state of the current resources and collects the garbage of older revisions.
func (r *Reconciler) lifecycle(ctx context.Context, s *appState) error {
	if err := r.keepState(ctx, s); err != nil {
		return err
	}
	pending, err := r.collectGarbage(ctx, s)
	if pending && s.outcome.RequeueAfter == 0 {
		s.outcome.RequeueAfter = gcRequeue
	}
	return err
}

// keepState repairs drift: every reconcile of an Application whose workflow
// succeeded (a re-sync every Options.ResyncPeriod, a change of a workload)
// re-applies the resources of the current revision from the manifests the
// versioned ResourceTracker recorded, so a changed field is set back and a
// deleted resource comes back. apply-once (the whole app, or the paths of an
// onStateKeep rule) and read-only resources are left as they are, and so are
// objects another application owns now. Objects the workflow applied in this
// very reconcile (it just finished) are not applied a second time.
func (r *Reconciler) keepState(ctx context.Context, s *appState) error {
	st := s.app.Status.Workflow
	if st == nil || st.AppRevision != workflowRevision(s) || !st.Finished || st.Phase != v1beta1.WorkflowRunSucceeded {
		return nil
	}
	pol, err := s.resourcePolicies()
	if err != nil || pol.applyOnceAll() {
		return err
	}
	rt := s.writtenTracker()
	if rt == nil {
		rt = &v1beta1.ResourceTracker{}
		if err := r.reader.Get(ctx, client.ObjectKey{Name: versionedTrackerName(s.app, s.rev.Name)}, rt, r.owned.trackerRead(s.app)...); err != nil {
			return client.IgnoreNotFound(err)
		}
	}
	for _, mr := range rt.Spec.ManagedResources {
		if mr.Data == nil || mr.Deleted || s.fresh[mrKey(mr)] {
			continue
		}
		m := manifestOf(mr)
		if pol.isReadOnly(m) {
			continue
		}
		strategy := pol.applyOnceFor(m)
		if strategy != nil && strategy.covers(affectOnStateKeep) && strategy.whole() {
			continue
		}
		c, err := r.clientFor(ctx, mr.Cluster)
		if err != nil {
			if skipMember(ctx, mr, err) {
				continue
			}
			return err
		}
		if err := r.keepObject(ctx, c, s.app, pol, mr.Cluster, m, strategy); err != nil && !skipMember(ctx, mr, err) {
			return err
		}
	}
	return nil
}

// keepObject applies the recorded manifest m of cluster again, unless another
// application owns the live object now; the paths an apply-once strategy
// (onStateKeep) lets drift keep their live values, and the sharers of a
// shared object stay. An object the controller's cache shows as app's and no
// policy reads is not applied at all when the cached copy already holds every
// value of m (inSync: a re-sync of an unchanged application sends the API
// server nothing; a change the cache has not seen yet is repaired by the
// reconcile its event or the next re-sync brings), else applied without
// reading it, carrying the cached resourceVersion; refused, it is read and
// applied as the others.
func (r *Reconciler) keepObject(ctx context.Context, c client.Client, app *v1beta1.Application, pol *resourcePolicies, cluster string, m *unstructured.Unstructured, strategy *applyOnceStrategy) error {
	if !pol.readsLive(m, affectOnStateKeep) {
		if cached := r.cachedObject(ctx, cluster, m, app); cached != nil {
			if cachedInSync(m, cached) != nil {
				return nil
			}
			r.forgetApplied(app, cluster, m)
			if err := applyObject(ctx, c, m, cached.GetResourceVersion()); !staleVersion(err) {
				return err
			}
		}
	}
	live, err := getLive(ctx, c, m)
	if err != nil {
		return err
	}
	me := appKey(app)
	if live != nil {
		if owner := ownerOf(live, app); owner != me {
			return nil
		}
		if strategy != nil && strategy.covers(affectOnStateKeep) {
			keepPaths(m, live, strategy.Path)
		}
	}
	if pol.isShared(m) {
		// The sharers are live state: other apps add themselves.
		var list []string
		if live != nil {
			list = sharers(live)
		}
		if !slices.Contains(list, me) {
			list = append(list, me)
		}
		setAnnotation(m, oam.AnnotationAppSharedBy, strings.Join(list, ","))
	}
	r.forgetApplied(app, cluster, m)
	return applyObject(ctx, c, m, "")
}

// forgetApplied drops the record of the dispatcher's last apply to m's object:
// what state keeping applies may differ from it (kept paths, sharers), so the
// next workflow apply of the same manifest is not spared.
func (r *Reconciler) forgetApplied(app *v1beta1.Application, cluster string, m *unstructured.Unstructured) {
	r.applied.drop(client.ObjectKeyFromObject(app), objectRefKey(cluster, m))
}

// writtenTracker is the versioned tracker as this reconcile's dispatcher last
// read or wrote it (nil when it did not: then it is read).
func (s *appState) writtenTracker() *v1beta1.ResourceTracker {
	if s.tracker == nil || s.tracker.current == nil || s.tracker.rev != s.rev.Name || s.tracker.current.ResourceVersion == "" {
		return nil
	}
	return s.tracker.current
}

// skipMember reports (and logs) a failure in a member cluster: state keeping
// goes on with the other resources and tries that one again on the next re-sync.
func skipMember(ctx context.Context, mr v1beta1.ManagedResource, err error) bool {
	if isLocal(mr.Cluster) {
		return false
	}
	logr.FromContextOrDiscard(ctx).Info("state keeping skipped a resource", "cluster", mr.Cluster,
		"resource", mr.Kind+" "+mr.Namespace+"/"+mr.Name, "error", err.Error())
	return true
}
