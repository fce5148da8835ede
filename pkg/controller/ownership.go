package controller

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
	"velad.io/velad/pkg/parallel"
	"velad.io/velad/pkg/workflow"
)

// applyAction is what dispatching does with one object.
type applyAction int

const (
	// actApply server-side applies the object.
	actApply applyAction = iota
	// actRead only reads it (read-only policy).
	actRead
	// actShare adds the app to the sharers of an object another app owns.
	actShare
	// actKeep leaves an existing object as it is (apply-once "*" on update).
	actKeep
	// actRecreate deletes the object, then applies it (resource-update recreateFields).
	actRecreate
)

// appKey is `<namespace>/<name>`, how apps are named in app.oam.dev/shared-by.
func appKey(app *v1beta1.Application) string { return app.Namespace + "/" + app.Name }

// ownerOf is the `<namespace>/<name>` of the application owning o ("" for none).
func ownerOf(o metav1.Object, app *v1beta1.Application) string {
	l := o.GetLabels()
	name, ns := l[oam.LabelAppName], l[oam.LabelAppNamespace]
	if name == "" {
		return ""
	}
	if ns == "" && name == app.Name {
		ns = app.Namespace // objects labelled before the namespace label existed
	}
	return ns + "/" + name
}

// sharers are the apps in o's app.oam.dev/shared-by annotation, oldest first.
func sharers(o *unstructured.Unstructured) []string {
	var out []string
	for _, s := range strings.Split(o.GetAnnotations()[oam.AnnotationAppSharedBy], ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func setAnnotation(o *unstructured.Unstructured, key, val string) {
	a := o.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	if val == "" {
		delete(a, key)
	} else {
		a[key] = val
	}
	o.SetAnnotations(a)
}

// plannedObject is one object of a dispatch and what to do with it.
type plannedObject struct {
	obj, live *unstructured.Unstructured
	act       applyAction
	// version is the resourceVersion of the cached copy the plan was made
	// from instead of the live object (live is nil then): the apply carries it.
	version string
}

// dispatch applies the objects of component ("" for objects a workflow step
// applies) in cluster through its client c: it checks who owns each existing object and what the
// resource policies say, records the objects in the ResourceTracker, then
// applies them.
func (d *dispatcher) dispatch(ctx context.Context, c client.Client, component, cluster string, objs []*unstructured.Unstructured) error {
	pol, err := d.s.resourcePolicies()
	if err != nil {
		return err
	}
	plans := make([]plannedObject, len(objs))
	if err := inParallel(len(objs), func(i int) (err error) {
		plans[i], err = d.plan(ctx, c, cluster, pol, objs[i], true)
		return err
	}); err != nil {
		return err
	}
	entries := make([]trackedObject, 0, len(objs))
	for i, o := range objs {
		strategy, _ := pol.gcStrategy(o)
		entries = append(entries, trackedObject{
			obj: o, component: component, cluster: cluster,
			keep:   strategy == gcOnAppDelete || strategy == gcNever,
			skipGC: strategy == gcNever || plans[i].act == actRead,
			noData: plans[i].act == actRead,
		})
	}
	d.mu.Lock()
	err = d.tracker.track(ctx, entries...)
	d.mu.Unlock()
	if err != nil {
		return err
	}
	return inParallel(len(plans), func(i int) error { return d.execute(ctx, c, cluster, pol, plans[i]) })
}

// maxDispatchConcurrent bounds the objects of one component read or applied at once (KubeVela
// applies a component's objects in parallel too, 10 at a time by default).
const maxDispatchConcurrent = 10

// inParallel runs do(0..n-1), up to maxDispatchConcurrent at once, and returns the error of
// the lowest index that failed.
func inParallel(n int, do func(i int) error) error {
	for _, err := range parallel.Run(n, maxDispatchConcurrent, do) {
		if err != nil {
			return err
		}
	}
	return nil
}

// plan decides what to do with o from the live object and the policies. With
// useCache, an object the controller's cache shows as this Application's and
// no policy reads (readsLive) is planned from the cache: it is applied,
// carrying the cached resourceVersion.
func (d *dispatcher) plan(ctx context.Context, c client.Client, cluster string, pol *resourcePolicies, o *unstructured.Unstructured, useCache bool) (plannedObject, error) {
	p := plannedObject{obj: o, act: actApply}
	if useCache && !pol.readsLive(o, affectOnUpdate) {
		if cached := d.r.cachedObject(ctx, cluster, o, d.s.app); cached != nil {
			if live := d.unchanged(cluster, o, cached); live != nil {
				p.act, p.live = actKeep, live
				return p, nil
			}
			p.version = cached.GetResourceVersion()
			return p, nil
		}
	}
	live, err := getLive(ctx, c, o)
	if err != nil {
		return p, err
	}
	p.live = live
	what := fmt.Sprintf("%s %s", o.GetKind(), objectName(o))
	me := appKey(d.s.app)
	if pol.isReadOnly(o) {
		if live == nil {
			return p, fmt.Errorf("read-only %s does not exist: create it, or remove it from the rules of the read-only policy", what)
		}
		p.act = actRead
		return p, nil
	}
	shared := pol.isShared(o)
	if live != nil {
		switch owner := ownerOf(live, d.s.app); {
		case owner == me:
		case owner == "":
			if !pol.canTakeOver(o) {
				return p, fmt.Errorf("%s exists but is not managed by any application: add a take-over policy selecting it to adopt it, or a read-only policy to only read it", what)
			}
		case shared && len(sharers(live)) > 0:
			p.act = actShare
			return p, nil
		default:
			hint := "use a shared-resource policy selecting it in both applications to share it"
			if shared {
				hint = "application " + owner + " does not share it: it needs a shared-resource policy selecting it too"
			}
			return p, fmt.Errorf("conflict: %s is managed by application %s; %s", what, owner, hint)
		}
	}
	if shared {
		list := []string{}
		if live != nil {
			list = sharers(live)
		}
		if !slices.Contains(list, me) {
			list = append(list, me)
		}
		setAnnotation(o, oam.AnnotationAppSharedBy, strings.Join(list, ","))
	}
	if live == nil {
		return p, nil
	}
	if s := pol.applyOnceFor(o); s != nil && s.covers(affectOnUpdate) {
		if s.whole() {
			p.act = actKeep
			return p, nil
		}
		keepPaths(o, live, s.Path)
	}
	for _, f := range pol.recreateFields(o) {
		path := parsePath(f)
		want, _ := getPath(o.Object, path)
		have, _ := getPath(live.Object, path)
		if !reflect.DeepEqual(want, have) {
			p.act = actRecreate
			break
		}
	}
	return p, nil
}

// unchanged is the cached object (as unstructured) when applying o to it
// would change nothing: this process's last apply to that very object was of
// the same manifest (appliedManifests), and the cached copy still holds every
// value of it (inSync). nil otherwise.
func (d *dispatcher) unchanged(cluster string, o *unstructured.Unstructured, cached client.Object) *unstructured.Unstructured {
	sum, ok := manifestSum(o)
	if !ok || !d.r.applied.same(client.ObjectKeyFromObject(d.s.app), objectRefKey(cluster, o), cached.GetUID(), sum) {
		return nil
	}
	return cachedInSync(o, cached)
}

// execute carries out one planned object; o ends holding the live object. An
// apply planned from the cache that the API server refuses because the live
// object is not the cached version is planned again from the live object.
func (d *dispatcher) execute(ctx context.Context, c client.Client, cluster string, pol *resourcePolicies, p plannedObject) error {
	o := p.obj
	switch p.act {
	case actRead, actKeep:
		o.Object = p.live.Object
	case actShare:
		live := p.live
		list := sharers(live)
		if !slices.Contains(list, appKey(d.s.app)) {
			setAnnotation(live, oam.AnnotationAppSharedBy, strings.Join(append(list, appKey(d.s.app)), ","))
			if err := c.Update(ctx, live); err != nil {
				return fmt.Errorf("sharing %s %s: %w", o.GetKind(), objectName(o), err)
			}
		}
		o.Object = live.Object
	case actRecreate:
		if err := recreate(ctx, c, p.live); err != nil {
			return err
		}
		return d.apply(ctx, c, cluster, o, "")
	default:
		err := d.apply(ctx, c, cluster, o, p.version)
		if p.version == "" || !staleVersion(err) {
			return err
		}
		q, err := d.plan(ctx, c, cluster, pol, o, false)
		if err != nil {
			return err
		}
		return d.execute(ctx, c, cluster, pol, q)
	}
	d.recordApplied(o, cluster)
	return nil
}

// recreate deletes live and waits a little for it to be gone.
func recreate(ctx context.Context, c client.Client, live *unstructured.Unstructured) error {
	if err := c.Delete(ctx, live, client.PropagationPolicy("Background")); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("recreating %s %s: %w", live.GetKind(), objectName(live), err)
	}
	for i := 0; i < 50; i++ {
		cur, err := getLive(ctx, c, live)
		if err != nil {
			return err
		}
		if cur == nil || cur.GetUID() != live.GetUID() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return workflow.Wait("%s %s is being deleted to be recreated", live.GetKind(), objectName(live))
}

// getLive reads the live version of o (nil when it does not exist, or its
// kind is not served yet: applying it gives the clear error).
func getLive(ctx context.Context, c client.Client, o *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(o.GroupVersionKind())
	err := c.Get(ctx, client.ObjectKey{Namespace: o.GetNamespace(), Name: o.GetName()}, live)
	switch {
	case apierrors.IsNotFound(err) || isNoKind(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading %s %s: %w", o.GetKind(), objectName(o), err)
	}
	return live, nil
}

func objectName(o interface {
	GetNamespace() string
	GetName() string
}) string {
	if o.GetNamespace() == "" {
		return o.GetName()
	}
	return o.GetNamespace() + "/" + o.GetName()
}

// keepPaths sets the value of each path in o to the live one, so the drift
// an apply-once rule allows is not reverted.
func keepPaths(o, live *unstructured.Unstructured, paths []string) {
	for _, p := range paths {
		path := parsePath(p)
		v, found := getPath(live.Object, path)
		setPath(o.Object, path, v, found)
	}
}

// recordApplied lists o in status.appliedResources.
func (d *dispatcher) recordApplied(o *unstructured.Unstructured, cluster string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.s.applied = append(d.s.applied, v1beta1.ClusterObjectReference{Cluster: clusterKey(cluster), ObjectReference: corev1.ObjectReference{
		APIVersion: o.GetAPIVersion(), Kind: o.GetKind(), Namespace: o.GetNamespace(), Name: o.GetName(), UID: o.GetUID(),
	}})
}

// applyObject server-side applies o with c, as the dispatcher does, and leaves the live object in o.
// A version ("" for none) is a precondition: the API server refuses the apply
// (staleVersion) unless the live object is at that resourceVersion.
func applyObject(ctx context.Context, c client.Client, o *unstructured.Unstructured, version string) error {
	o.SetManagedFields(nil)
	o.SetResourceVersion(version)
	//nolint:staticcheck // Patch with client.Apply is the unstructured SSA form.
	if err := c.Patch(ctx, o, client.Apply, client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
	}
	return nil
}

// staleVersion reports an apply refused for its resourceVersion precondition.
func staleVersion(err error) bool { return apierrors.IsConflict(err) }

// cachedVersion is the resourceVersion of o as the controller's cache holds
// it, when the cache can stand in for reading the live object before an
// apply (cachedObject); "" otherwise: the live object is read. An apply
// carrying the version is refused unless the live object is still that very
// version, so a cache that lags behind (the object was changed, relabelled, or
// deleted and created again by another Application) never makes the
// controller overwrite an object it has not looked at.
func (r *Reconciler) cachedVersion(ctx context.Context, cluster string, o *unstructured.Unstructured, app *v1beta1.Application) string {
	if obj := r.cachedObject(ctx, cluster, o, app); obj != nil {
		return obj.GetResourceVersion()
	}
	return ""
}

// cachedObject is o as the controller's cache holds it, when o is in the hub,
// of a kind the cache holds (cachedKinds; it holds only objects labelled by an
// Application), and the cached copy is labelled as app's; nil otherwise.
func (r *Reconciler) cachedObject(ctx context.Context, cluster string, o *unstructured.Unstructured, app *v1beta1.Application) client.Object {
	if r.cached == nil || !isLocal(cluster) {
		return nil
	}
	newObj, ok := cachedKinds[o.GroupVersionKind()]
	if !ok {
		return nil
	}
	obj := newObj()
	if err := r.cached.Get(ctx, client.ObjectKey{Namespace: o.GetNamespace(), Name: o.GetName()}, obj); err != nil {
		return nil
	}
	if ownerOf(obj, app) != appKey(app) {
		return nil
	}
	return obj
}
