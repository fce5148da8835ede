package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
)

// versionedTrackerName is `<revision>-<namespace>`, that is
// `<app>-v<N>-<namespace>` as in KubeVela: one tracker per workflow run.
func versionedTrackerName(app *v1beta1.Application, rev string) string {
	return rev + "-" + app.Namespace
}

// rootTrackerName is `<app>-<namespace>`.
func rootTrackerName(app *v1beta1.Application) string { return app.Name + "-" + app.Namespace }

func trackerLabels(app *v1beta1.Application) map[string]string {
	return map[string]string{oam.LabelAppName: app.Name, oam.LabelAppNamespace: app.Namespace}
}

// tracker records the resources one revision of an Application applies, in
// its versioned ResourceTracker, before they are applied; resources that
// outlive revisions (garbage-collect onAppDelete) are recorded in the root
// tracker too. The trackers are the journal GC and deletion work from. As in
// KubeVela, the root tracker is created only once something is kept in it,
// and a new versioned tracker is created holding its first resources.
type tracker struct {
	client client.Client
	// reader reads trackers from the API server, not the manager's cache: a stale
	// one would make the update conflict. owned gives the version to read them no
	// older than (the controller's last write of one).
	reader client.Reader
	owned  *ownedWrites
	app    *v1beta1.Application
	// rev is the ApplicationRevision the versioned tracker belongs to.
	rev           string
	root, current *v1beta1.ResourceTracker
	// compression is the spec.compression type the trackers are written with.
	compression string
	// assumeNew: the revision was created in this reconcile, so track prepares its versioned
	// tracker without reading it first; a create that finds one reads it and records again.
	// Anything else (forget) reads the tracker first.
	assumeNew bool
}

// newTracker is the tracker of app's revision rev ("" when only the root is written).
func (r *Reconciler) newTracker(app *v1beta1.Application, rev string) *tracker {
	return &tracker{client: r.client, reader: r.reader, owned: r.owned, app: app, rev: rev, compression: compressionType(r.opts.TrackerCompression)}
}

// trackedObject is one object to record.
type trackedObject struct {
	obj                *unstructured.Unstructured
	component, cluster string
	// keep records it in the root tracker too: only deleting the app deletes it.
	keep bool
	// skipGC: never deleted by the application (gc strategy never, read-only).
	skipGC bool
	// noData: the manifest is not recorded, so state keeping never re-applies it.
	noData bool
}

func refKey(cluster string, r corev1.ObjectReference) string {
	return clusterKey(cluster) + "|" + r.APIVersion + "/" + r.Kind + "/" + r.Namespace + "/" + r.Name
}

// objectRefKey is refKey of the object o.
func objectRefKey(cluster string, o *unstructured.Unstructured) string {
	return refKey(cluster, corev1.ObjectReference{APIVersion: o.GetAPIVersion(), Kind: o.GetKind(), Namespace: o.GetNamespace(), Name: o.GetName()})
}

// mrKey identifies a managed resource across clusters.
func mrKey(mr v1beta1.ManagedResource) string { return refKey(mr.Cluster, mr.ObjectReference) }

// load reads the versioned tracker; one that does not exist yet is prepared
// in memory (no resourceVersion) and created by the first write.
func (t *tracker) load(ctx context.Context) error {
	if t.current != nil {
		return nil
	}
	cur, err := t.read(ctx, versionedTrackerName(t.app, t.rev), v1beta1.ResourceTrackerTypeVersioned)
	if err != nil {
		return err
	}
	t.current = cur
	return nil
}

// loadRoot reads (or creates) the root tracker.
func (t *tracker) loadRoot(ctx context.Context) error {
	if t.root != nil {
		return nil
	}
	root, err := t.get(ctx, rootTrackerName(t.app), v1beta1.ResourceTrackerTypeRoot)
	if err != nil {
		return err
	}
	t.root = root
	return nil
}

// read reads the tracker name, or prepares it in memory when it does not exist.
func (t *tracker) read(ctx context.Context, name string, typ v1beta1.ResourceTrackerType) (*v1beta1.ResourceTracker, error) {
	rt := &v1beta1.ResourceTracker{}
	err := t.reader.Get(ctx, client.ObjectKey{Name: name}, rt, t.owned.trackerRead(t.app)...)
	if apierrors.IsNotFound(err) {
		return t.prepared(name, typ), nil
	}
	if err != nil {
		return nil, fmt.Errorf("preparing ResourceTracker %s: %w", name, err)
	}
	return rt, nil
}

// prepared is the tracker name of type typ as it is first created.
func (t *tracker) prepared(name string, typ v1beta1.ResourceTrackerType) *v1beta1.ResourceTracker {
	return &v1beta1.ResourceTracker{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: trackerLabels(t.app)},
		Spec:       v1beta1.ResourceTrackerSpec{Type: typ, ApplicationGeneration: t.app.Generation},
	}
}

// get reads (or creates) the tracker name.
func (t *tracker) get(ctx context.Context, name string, typ v1beta1.ResourceTrackerType) (*v1beta1.ResourceTracker, error) {
	rt, err := t.read(ctx, name, typ)
	if err != nil || rt.ResourceVersion != "" {
		return rt, err
	}
	if err := t.client.Create(ctx, rt); err != nil {
		return nil, fmt.Errorf("preparing ResourceTracker %s: %w", name, err)
	}
	return rt, nil
}

// write creates rt when it was only prepared, else updates it, stored with the
// configured compression (whichever a tracker read had).
func (t *tracker) write(ctx context.Context, rt *v1beta1.ResourceTracker) error {
	rt.Spec.Compression.Type = t.compression
	if rt.ResourceVersion == "" {
		return t.client.Create(ctx, rt)
	}
	return t.client.Update(ctx, rt)
}

// newManagedResource describes o for a tracker.
func newManagedResource(e trackedObject) (v1beta1.ManagedResource, error) {
	o := e.obj
	mr := v1beta1.ManagedResource{ClusterObjectReference: v1beta1.ClusterObjectReference{
		Cluster:         clusterKey(e.cluster),
		ObjectReference: corev1.ObjectReference{APIVersion: o.GetAPIVersion(), Kind: o.GetKind(), Namespace: o.GetNamespace(), Name: o.GetName()},
	}}
	mr.Component = e.component
	mr.Trait = o.GetLabels()[oam.TraitTypeLabel]
	if e.component == "" {
		mr.Creator = v1beta1.WorkflowResourceCreator
	}
	mr.SkipGC = e.skipGC
	if !e.noData {
		cp := o.DeepCopy()
		cp.SetManagedFields(nil)
		cp.SetResourceVersion("")
		cp.SetUID("")
		cp.SetCreationTimestamp(metav1.Time{})
		unstructured.RemoveNestedField(cp.Object, "status")
		raw, err := json.Marshal(cp.Object)
		if err != nil {
			return mr, fmt.Errorf("recording %s %s: %w", o.GetKind(), o.GetName(), err)
		}
		mr.Data = &runtime.RawExtension{Raw: raw}
	}
	return mr, nil
}

// upsert adds or refreshes mr in rt; it reports a change.
func upsert(rt *v1beta1.ResourceTracker, mr v1beta1.ManagedResource) bool {
	for i := range rt.Spec.ManagedResources {
		old := &rt.Spec.ManagedResources[i]
		if mrKey(*old) != mrKey(mr) {
			continue
		}
		if old.SkipGC == mr.SkipGC && old.Component == mr.Component && !old.Deleted && sameData(old.Data, mr.Data) {
			return false
		}
		*old = mr
		return true
	}
	rt.Spec.ManagedResources = append(rt.Spec.ManagedResources, mr)
	return true
}

func sameData(a, b *runtime.RawExtension) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return bytes.Equal(a.Raw, b.Raw)
}

// track records objs before they are applied.
func (t *tracker) track(ctx context.Context, objs ...trackedObject) error {
	if t.current == nil && t.assumeNew {
		t.assumeNew = false
		t.current = t.prepared(versionedTrackerName(t.app, t.rev), v1beta1.ResourceTrackerTypeVersioned)
		if err := t.record(ctx, objs); !apierrors.IsAlreadyExists(err) {
			return err
		}
		// The revision's tracker existed after all (left by an Application of the same
		// name): read it and record into it.
	}
	return t.record(ctx, objs)
}

// record is track's one attempt.
func (t *tracker) record(ctx context.Context, objs []trackedObject) error {
	if err := t.load(ctx); err != nil {
		return err
	}
	var rootChanged, curChanged bool
	for _, e := range objs {
		mr, err := newManagedResource(e)
		if err != nil {
			return err
		}
		curChanged = upsert(t.current, mr) || curChanged
		if e.keep {
			if err := t.loadRoot(ctx); err != nil {
				return err
			}
			rootChanged = upsert(t.root, mr) || rootChanged
		}
	}
	// A versioned tracker only prepared so far is created even with nothing in
	// it: GC and deletion go by the trackers that exist.
	curChanged = curChanged || t.current.ResourceVersion == ""
	for _, w := range []struct {
		rt      *v1beta1.ResourceTracker
		changed bool
	}{{t.root, rootChanged}, {t.current, curChanged}} {
		if !w.changed {
			continue
		}
		if err := t.write(ctx, w.rt); err != nil {
			t.current, t.root = nil, nil // re-read on the next call
			return fmt.Errorf("recording resources in ResourceTracker %s: %w", w.rt.Name, err)
		}
	}
	return nil
}

// forget marks o in the versioned tracker as deleted (a workflow step deleted it), so state
// keeping does not bring it back; an object the tracker does not hold is ignored.
func (t *tracker) forget(ctx context.Context, cluster string, o *unstructured.Unstructured) error {
	if err := t.load(ctx); err != nil {
		return err
	}
	key := refKey(clusterKey(cluster), corev1.ObjectReference{APIVersion: o.GetAPIVersion(), Kind: o.GetKind(), Namespace: o.GetNamespace(), Name: o.GetName()})
	for i := range t.current.Spec.ManagedResources {
		mr := &t.current.Spec.ManagedResources[i]
		if mrKey(*mr) != key || mr.Deleted {
			continue
		}
		mr.Deleted = true
		if err := t.write(ctx, t.current); err != nil {
			t.current = nil
			return fmt.Errorf("recording the deletion of %s %s in ResourceTracker: %w", o.GetKind(), o.GetName(), err)
		}
	}
	return nil
}

// trackers lists every ResourceTracker of app: consistently, or as opts say
// (ownedWrites.trackerList: no older than the controller's last write of one).
func (r *Reconciler) trackers(ctx context.Context, app *v1beta1.Application, opts ...client.ListOption) ([]v1beta1.ResourceTracker, error) {
	var l v1beta1.ResourceTrackerList
	if err := r.reader.List(ctx, &l, append([]client.ListOption{client.MatchingLabels(trackerLabels(app))}, opts...)...); err != nil {
		return nil, fmt.Errorf("listing ResourceTrackers: %w", err)
	}
	return l.Items, nil
}
