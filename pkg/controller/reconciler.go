package controller

import (
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/appfile"
	"velad.io/velad/pkg/cue"
	"velad.io/velad/pkg/cue/provider/op"
	"velad.io/velad/pkg/workflow"
)

// Reconciler reconciles Applications (STYLE.md P17).
type Reconciler struct {
	client client.Client
	// reader reads from the API server: Applications the cache has not caught
	// up with (see readApp), trackers, revisions.
	reader client.Reader
	// cached is the manager's cache of the kinds in cachedKinds (nil: none);
	// it stands in for reading a live object before an apply (cachedVersion).
	cached   client.Reader
	loader   *clusterLoader
	cue      *cue.Engine
	workflow *workflow.Engine
	metrics  *metrics
	opts     Options
	// self filters the watch events of the controller's own writes.
	self *selfWrites
	// owned lets an Application's trackers and revisions be read from the API server's cache.
	owned *ownedWrites
	// collected spares listing the trackers of revisions GC found clean.
	collected *collectedRevisions
	// applied spares applying a manifest again that the object still holds.
	applied *appliedManifests
}

// NewReconciler returns a Reconciler writing with c (whose reads of
// definitions may come from a cache) and reading Applications with reader.
func NewReconciler(c client.Client, reader client.Reader, opts Options) (*Reconciler, error) {
	opts.defaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	engine, err := cue.New(cue.WithProviders(op.All()...))
	if err != nil {
		return nil, fmt.Errorf("building the CUE engine: %w", err)
	}
	m := newMetrics()
	wopts := opts.Workflow
	wopts.StepDuration = m.observeStep
	self, owned := newSelfWrites(), newOwnedWrites()
	c = &recordingClient{Client: c, self: self, owned: owned}
	return &Reconciler{
		self:      self,
		owned:     owned,
		collected: newCollectedRevisions(),
		applied:   newAppliedManifests(),
		client:    c,
		reader:    reader,
		loader:    newClusterLoader(c, opts.DefinitionNamespace),
		cue:       engine,
		workflow:  workflow.New(engine, wopts),
		metrics:   m,
		opts:      opts,
	}, nil
}

// Setup registers the Application controller with mgr.
func Setup(mgr manager.Manager, opts Options) error {
	opts.defaults()
	r, err := NewReconciler(mgr.GetClient(), mgr.GetAPIReader(), opts)
	if err != nil {
		return err
	}
	r.cached = mgr.GetCache()
	skip := true
	b := ctrl.NewControllerManagedBy(mgr).
		For(&v1beta1.Application{}, builder.WithPredicates(r.self.predicate())).
		Named("application").
		WithOptions(controller.Options{MaxConcurrentReconciles: opts.ConcurrentReconciles, SkipNameValidation: &skip})
	for _, o := range workloadKinds() {
		b = b.Watches(o, enqueueOwnerApp(), builder.WithPredicates(readinessChanged()))
	}
	return b.Complete(r)
}

// appState is what one reconcile learns about an Application, phase by phase.
type appState struct {
	app  *v1beta1.Application
	af   *appfile.Appfile
	plan *workflow.Plan
	// used are the definitions the Application uses, by kind and name.
	used map[string]map[string]*appfile.Definition
	rev  v1beta1.Revision
	// created is the ApplicationRevision this reconcile created, as the API
	// server returned it (recordRevision writes its status without a read).
	created *v1beta1.ApplicationRevision
	// pinned is the revision delivered instead of the live spec while
	// app.oam.dev/publishVersion is unchanged (see pinRevision).
	pinned *v1beta1.ApplicationRevision
	// manifests are the rendered components by name.
	manifests map[string]*appfile.ComponentManifest
	// services are component statuses found while applying, by name.
	services map[string]*v1beta1.ApplicationComponentStatus
	// applied are the objects applied in this reconcile.
	applied []v1beta1.ClusterObjectReference
	// fresh are the tracker keys (mrKey) of the objects server-side applied in
	// this reconcile: state keeping does not apply them a second time.
	fresh map[string]bool
	// tracker is the dispatcher's, holding the trackers it read or wrote.
	tracker *tracker
	// freshRun says the workflow starts over in this reconcile (a new
	// revision or a restart): the last status.services are not carried over.
	freshRun bool
	// newApp says the Application's status had never been written when the
	// reconcile began (its workflow never saved a context).
	newApp bool
	// readStatus and readVersion are the Application's status and
	// resourceVersion as the reconcile found them: finish writes no status
	// when neither changed (statusUnchanged).
	readStatus  *v1beta1.AppStatus
	readVersion string
	outcome     workflow.Outcome
	// properties resolves a component's properties before it renders (ref-objects).
	properties func(context.Context, *appfile.Component) (map[string]any, error)
	// policies are the resource policies, read on first use (policy_rules.go).
	policies *resourcePolicies
}

// Reconcile drives one Application: parse, revision, render, workflow,
// health, status. Bad input ends in a condition, not an error, so it is not
// retried in a hot loop; API errors are returned and retried with backoff.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, err error) {
	start := time.Now()
	defer func() { r.metrics.observeReconcile(time.Since(start), err) }()
	app := &v1beta1.Application{}
	if err := r.readApp(ctx, req.NamespacedName, app); err != nil {
		if apierrors.IsNotFound(err) {
			r.self.forget(req.NamespacedName)
			r.owned.forget(req.NamespacedName)
			r.collected.forget(req.NamespacedName)
			r.applied.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	ctx = logr.NewContext(ctx, logr.FromContextOrDiscard(ctx).WithValues("application", req.NamespacedName))
	if !app.DeletionTimestamp.IsZero() {
		r.collected.forget(req.NamespacedName)
		return r.finalize(ctx, app)
	}
	s := &appState{app: app, services: map[string]*v1beta1.ApplicationComponentStatus{}, properties: r.componentProperties(app.Namespace),
		newApp:     app.Status.ObservedGeneration == 0 && app.Status.LatestRevision == nil && app.Status.Workflow == nil,
		readStatus: app.Status.DeepCopy(), readVersion: app.ResourceVersion}
	if err := r.publishing(ctx, s); err != nil {
		// A rollback that cannot finish (a newer revision it cannot delete)
		// shows on the Application, and is retried.
		return ctrl.Result{}, r.keepError(ctx, s, v1beta1.ConditionRevision, err)
	}
	// The finalizer is written (after a rollback's own writes) while the
	// Application is parsed and its revision created; neither writes it.
	finalizer := r.addFinalizer(ctx, s)
	perr := r.parse(ctx, s)
	var rerr error
	if perr == nil {
		rerr = r.revision(ctx, s)
	}
	if err := finalizer(); err != nil {
		return ctrl.Result{}, err
	}
	if perr != nil {
		return r.inputError(ctx, s, v1beta1.ConditionParsed, perr)
	}
	if rerr != nil {
		return ctrl.Result{}, rerr
	}
	if err := r.render(ctx, s); err != nil {
		return r.inputError(ctx, s, v1beta1.ConditionRender, err)
	}
	if _, err := s.resourcePolicies(); err != nil {
		return r.inputError(ctx, s, v1beta1.ConditionPolicy, err)
	}
	if err := r.runWorkflow(ctx, s); err != nil {
		return ctrl.Result{}, r.keepError(ctx, s, v1beta1.ConditionWorkflow, err)
	}
	if err := r.lifecycle(ctx, s); err != nil {
		return ctrl.Result{}, r.keepError(ctx, s, v1beta1.ConditionWorkflow, err)
	}
	if err := r.health(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	return r.finish(ctx, s)
}

// readApp reads the Application from the cache when the cache has caught up
// with the controller's own last write of it, else from the API server: a
// status older than the last checkpoint would run a finished step (a webhook)
// again. A change by someone else that the cache has not seen yet makes the
// status write of the reconcile conflict, and the reconcile is retried.
func (r *Reconciler) readApp(ctx context.Context, key client.ObjectKey, app *v1beta1.Application) error {
	if err := r.client.Get(ctx, key, app); err == nil && r.self.caughtUp(app) {
		return nil
	}
	*app = v1beta1.Application{}
	return r.reader.Get(ctx, key, app)
}

// isConflict reports an optimistic-concurrency conflict (retried quietly).
func isConflict(err error) bool { return apierrors.IsConflict(err) }
