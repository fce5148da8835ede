package helm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// Reconciler installs, upgrades, rolls back and uninstalls the Helm release of each
// HelmRelease and reports it in the HelmRelease's status.
type Reconciler struct {
	client client.Client // HelmReleases (cached)
	reader client.Reader // sources, ConfigMaps and Secrets (uncached: no cluster-wide Secret cache)
	helm   *helmClient
}

// Setup registers the HelmRelease reconciler with mgr.
func Setup(mgr ctrl.Manager) error {
	h, err := newHelmClient(mgr.GetConfig(), mgr.GetLogger().WithName("helm"))
	if err != nil {
		return err
	}
	r := &Reconciler{client: mgr.GetClient(), reader: mgr.GetAPIReader(), helm: h}
	hr := &unstructured.Unstructured{}
	hr.SetGroupVersionKind(ReleaseGVK)
	b := ctrl.NewControllerManagedBy(mgr).Named("helmrelease").
		For(hr, builder.WithPredicates(specChanged())).
		WithOptions(controller.Options{MaxConcurrentReconciles: 2})
	for _, kind := range []string{"HelmRepository", "GitRepository"} {
		src := &unstructured.Unstructured{}
		src.SetGroupVersionKind(SourceGroupVersion.WithKind(kind))
		b = b.Watches(src, handler.EnqueueRequestsFromMapFunc(r.releasesOf(kind)), builder.WithPredicates(predicate.GenerationChangedPredicate{}))
	}
	return b.Complete(r)
}

// specChanged passes creations, deletions and changes of spec, annotations or deletion
// state, not the controller's own status writes.
func specChanged() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() ||
			e.ObjectNew.GetDeletionTimestamp() != nil ||
			fmt.Sprint(e.ObjectOld.GetAnnotations()) != fmt.Sprint(e.ObjectNew.GetAnnotations())
	}}
}

// releasesOf maps a source to the HelmReleases in its namespace that refer to it.
func (r *Reconciler) releasesOf(kind string) handler.MapFunc {
	return func(ctx context.Context, src client.Object) []reconcile.Request {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(ReleaseGVK.GroupVersion().WithKind("HelmReleaseList"))
		if err := r.client.List(ctx, list, client.InNamespace(src.GetNamespace())); err != nil {
			return nil
		}
		var out []reconcile.Request
		for i := range list.Items {
			hr := &list.Items[i]
			k, _, _ := unstructured.NestedString(hr.Object, "spec", "chart", "spec", "sourceRef", "kind")
			n, _, _ := unstructured.NestedString(hr.Object, "spec", "chart", "spec", "sourceRef", "name")
			if k == kind && n == src.GetName() {
				out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: hr.GetNamespace(), Name: hr.GetName()}})
			}
		}
		return out
	}
}

// Reconcile implements reconcile.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	hr := &unstructured.Unstructured{}
	hr.SetGroupVersionKind(ReleaseGVK)
	if err := r.client.Get(ctx, req.NamespacedName, hr); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	s, specErr := parseSpec(hr)
	if hr.GetDeletionTimestamp() != nil {
		return reconcile.Result{}, r.finalize(ctx, hr, s)
	}
	if specErr != nil {
		return reconcile.Result{}, r.setStatus(ctx, hr, func(st *status) { st.notReady("InvalidSpec", specErr.Error()) })
	}
	if controllerutil.AddFinalizer(hr, Finalizer) {
		if err := r.client.Update(ctx, hr); err != nil {
			return reconcile.Result{}, err
		}
	}
	if s.Suspend {
		return reconcile.Result{}, nil
	}
	d, err := r.desired(ctx, hr, s)
	if err != nil {
		// A missing source or ConfigMap may appear soon; an unreachable repository may come back.
		return reconcile.Result{RequeueAfter: 20 * time.Second}, r.setStatus(ctx, hr, func(st *status) { st.notReady("ArtifactFailed", err.Error()) })
	}
	return r.release(ctx, hr, d)
}

// desired resolves the chart and values hr asks for.
func (r *Reconciler) desired(ctx context.Context, hr *unstructured.Unstructured, s *spec) (*desired, error) {
	src, err := resolveSource(ctx, r.reader, hr, s.Chart.Spec.SourceRef)
	if err != nil {
		return nil, err
	}
	ch, err := loadChart(ctx, r.reader, hr.GetNamespace(), src, s.Chart.Spec)
	if err != nil {
		return nil, err
	}
	values, err := composeValues(ctx, r.reader, hr.GetNamespace(), s)
	if err != nil {
		return nil, err
	}
	digest, err := digestOf(ch, values)
	if err != nil {
		return nil, err
	}
	return &desired{name: s.releaseName(hr), namespace: s.targetNamespace(hr), storage: s.storageNamespace(hr),
		chart: ch, values: values, digest: digest, spec: s}, nil
}

// release applies d and records the outcome; a spec that failed more than its retries is
// not tried again until it changes, after rolling back to the last deployed revision. The
// Helm configuration is built once and the history read once, again only after a change.
func (r *Reconciler) release(ctx context.Context, hr *unstructured.Unstructured, d *desired) (reconcile.Result, error) {
	old := readStatus(hr)
	failures := 0
	if old.LastAttemptedConfigDigest == d.digest {
		failures = old.Failures
		if failures > d.spec.retries() {
			return reconcile.Result{}, nil
		}
	}
	ac, err := r.helm.config(d.storage, d.namespace)
	var rels []*release.Release
	if err == nil {
		rels, err = history(ac, d.name)
	}
	var out *outcome
	if err == nil {
		out, err = r.helm.apply(ctx, ac, rels, d)
		if out == nil || out.action != "" { // the release changed, or may have
			rels = rereadHistory(ac, d.name, rels)
		}
	}
	if err != nil {
		failures++
		msg := err.Error()
		if failures > d.spec.retries() && out != nil && out.action == "upgrade" {
			if v, rbErr := rollbackToDeployed(ac, rels, d); rbErr != nil {
				msg += "; rolling back failed: " + rbErr.Error()
			} else if v > 0 {
				msg += fmt.Sprintf("; rolled back to revision %d", v)
				rels = rereadHistory(ac, d.name, rels)
			}
		}
		reason := "InstallFailed"
		if out != nil && out.action != "install" {
			reason = "UpgradeFailed"
		}
		serr := r.setStatus(ctx, hr, func(st *status) {
			st.notReady(reason, msg)
			st.Failures, st.LastAttemptedConfigDigest = failures, d.digest
			st.LastAttemptedRevision = d.chart.Metadata.Version
			st.History = snapshots(rels)
		})
		if failures > d.spec.retries() {
			return reconcile.Result{}, serr
		}
		return reconcile.Result{RequeueAfter: time.Duration(failures) * 10 * time.Second}, serr
	}
	rel := out.rel
	return reconcile.Result{RequeueAfter: d.spec.interval()}, r.setStatus(ctx, hr, func(st *status) {
		verb := map[string]string{"install": "install", "upgrade": "upgrade", "rollback": "rollback", "": "release"}[out.action]
		st.ready(fmt.Sprintf("Helm %s succeeded for release %s/%s.v%d with chart %s@%s", verb, rel.Namespace, rel.Name, rel.Version, rel.Chart.Name(), rel.Chart.Metadata.Version))
		st.Failures, st.LastAttemptedConfigDigest = 0, d.digest
		st.LastAttemptedRevision, st.LastAppliedRevision = d.chart.Metadata.Version, rel.Chart.Metadata.Version
		st.LastReleaseRevision = rel.Version
		st.History = snapshots(rels)
	})
}

// rereadHistory reads the release's revisions again after a change; prev when that fails.
func rereadHistory(ac *action.Configuration, name string, prev []*release.Release) []*release.Release {
	rels, err := history(ac, name)
	if err != nil {
		return prev
	}
	return rels
}

// snapshots lists the newest of rels (at most 5), newest first.
func snapshots(rels []*release.Release) []snapshot {
	var out []snapshot
	for i := len(rels) - 1; i >= 0 && len(out) < 5; i-- {
		out = append(out, snapshotOf(rels[i]))
	}
	return out
}

func snapshotOf(rel *release.Release) snapshot {
	s := snapshot{Name: rel.Name, Namespace: rel.Namespace, Version: rel.Version, Status: rel.Info.Status.String(),
		ConfigDigest: rel.Labels[DigestLabel], Description: rel.Info.Description}
	if rel.Chart != nil && rel.Chart.Metadata != nil {
		s.ChartName, s.ChartVersion, s.AppVersion = rel.Chart.Metadata.Name, rel.Chart.Metadata.Version, rel.Chart.Metadata.AppVersion
	}
	if !rel.Info.LastDeployed.IsZero() {
		s.LastDeployed = metav1.NewTime(rel.Info.LastDeployed.Time)
	}
	return s
}

// finalize uninstalls the release of a deleted HelmRelease, then lets it go.
func (r *Reconciler) finalize(ctx context.Context, hr *unstructured.Unstructured, s *spec) error {
	if !controllerutil.ContainsFinalizer(hr, Finalizer) {
		return nil
	}
	if s != nil && !s.Suspend {
		ac, err := r.helm.config(s.storageNamespace(hr), s.targetNamespace(hr))
		if err != nil {
			return err
		}
		if err := r.helm.uninstall(ac, s.releaseName(hr), s); err != nil {
			return err
		}
	}
	controllerutil.RemoveFinalizer(hr, Finalizer)
	return r.client.Update(ctx, hr)
}

// setStatus applies change to hr's status and writes it when it changed.
func (r *Reconciler) setStatus(ctx context.Context, hr *unstructured.Unstructured, change func(*status)) error {
	st := readStatus(hr)
	was, err := json.Marshal(st)
	if err != nil {
		return err
	}
	change(st)
	st.ObservedGeneration = hr.GetGeneration()
	now, err := json.Marshal(st) // as it is written: times to the second
	if err != nil {
		return err
	}
	if bytes.Equal(now, was) {
		return nil // a release re-checked at its interval and still current: nothing to write
	}
	m := map[string]any{}
	if err := json.Unmarshal(now, &m); err != nil {
		return err
	}
	hr.Object["status"] = m
	if err := r.client.Status().Update(ctx, hr); err != nil {
		return fmt.Errorf("writing status of HelmRelease %s/%s: %w", hr.GetNamespace(), hr.GetName(), err)
	}
	logr.FromContextOrDiscard(ctx).V(1).Info("helm release status", "ready", st.Conditions[0].Status, "message", st.Conditions[0].Message)
	return nil
}

// Embedded is the embedded controller's name.
const Embedded = "helm-controller"
