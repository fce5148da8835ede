package controller

import (
	"context"
	"strconv"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

// selfWrites remembers, per Application, the newest resourceVersion the
// controller wrote (finalizer, checkpoints, status); a reconcile reads the
// Application from the cache once the cache holds that write. The watch event echoing
// such a write needs no reconcile: the reconcile that wrote it already acted
// on everything up to it, since every Application write is optimistic (a
// change by someone else in between makes the write conflict and retry).
// Without this, each write cost one more reconcile.
type selfWrites struct{ marks *versionMarks }

func newSelfWrites() *selfWrites { return &selfWrites{marks: newVersionMarks()} }

// record notes a successful write of o (only Applications are tracked).
func (w *selfWrites) record(o client.Object) {
	if _, ok := o.(*v1beta1.Application); ok {
		w.marks.raise(client.ObjectKeyFromObject(o), o.GetResourceVersion())
	}
}

// forget drops what is known about an Application (it is gone).
func (w *selfWrites) forget(k client.ObjectKey) { w.marks.forget(k) }

// versions returns o's resourceVersion and the controller's last write of o
// (written false when none is known); ok is false for an unparsable version.
func (w *selfWrites) versions(o client.Object) (rv, last uint64, written, ok bool) {
	rv, err := strconv.ParseUint(o.GetResourceVersion(), 10, 64)
	if err != nil {
		return 0, 0, false, false
	}
	last, written = w.marks.get(client.ObjectKeyFromObject(o))
	return rv, last, written, true
}

// versionMarks holds a newest resourceVersion per Application, safe for
// concurrent use: the controller's writes of it (selfWrites) or of its
// trackers and revisions (ownedWrites).
type versionMarks struct {
	mu  sync.Mutex
	rvs map[client.ObjectKey]uint64
}

func newVersionMarks() *versionMarks { return &versionMarks{rvs: map[client.ObjectKey]uint64{}} }

// raise sets k's mark to rv when rv is newer; it reports false, changing
// nothing, for an unparsable rv.
func (m *versionMarks) raise(k client.ObjectKey, rv string) bool {
	v, err := strconv.ParseUint(rv, 10, 64)
	if err != nil {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if v > m.rvs[k] {
		m.rvs[k] = v
	}
	return true
}

// get is k's mark, if any.
func (m *versionMarks) get(k client.ObjectKey) (uint64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.rvs[k]
	return v, ok
}

// forget drops k's mark.
func (m *versionMarks) forget(k client.ObjectKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.rvs, k)
}

// echo reports whether o is the controller's own write, or older than it.
func (w *selfWrites) echo(o client.Object) bool {
	rv, last, written, ok := w.versions(o)
	return ok && written && rv <= last
}

// caughtUp reports whether o is at least as new as the controller's last
// write of it (true when it wrote none since it started: the cache was filled
// after any write of an earlier process).
func (w *selfWrites) caughtUp(o client.Object) bool {
	rv, last, written, ok := w.versions(o)
	return ok && (!written || rv >= last)
}

// predicate drops Application update events that echo the controller's
// writes. A spec change always passes (the controller never changes a spec;
// a workflow step may change another Application's).
func (w *selfWrites) predicate() predicate.Predicate {
	return predicate.Funcs{UpdateFunc: func(e event.UpdateEvent) bool {
		return e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() || !w.echo(e.ObjectNew)
	}}
}

// recordingClient is the Reconciler's client: it records the Applications,
// ResourceTrackers and ApplicationRevisions it writes.
type recordingClient struct {
	client.Client
	self  *selfWrites
	owned *ownedWrites
}

// wrote records the outcome of a write of obj.
func (c *recordingClient) wrote(obj client.Object, err error) {
	if err != nil {
		c.owned.deleted(obj) // it may have happened: the next read is consistent
		return
	}
	c.self.record(obj)
	c.owned.written(obj)
}

// Create implements client.Client.
func (c *recordingClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	err := c.Client.Create(ctx, obj, opts...)
	c.wrote(obj, err)
	return err
}

// Update implements client.Client.
func (c *recordingClient) Update(ctx context.Context, obj client.Object, opts ...client.UpdateOption) error {
	err := c.Client.Update(ctx, obj, opts...)
	c.wrote(obj, err)
	return err
}

// Patch implements client.Client.
func (c *recordingClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	err := c.Client.Patch(ctx, obj, patch, opts...)
	c.wrote(obj, err)
	return err
}

// Delete implements client.Client.
func (c *recordingClient) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	c.owned.deleted(obj) // whatever the outcome: the next read is consistent
	return c.Client.Delete(ctx, obj, opts...)
}

// Status implements client.Client.
func (c *recordingClient) Status() client.SubResourceWriter {
	return &recordingStatus{SubResourceWriter: c.Client.Status(), c: c}
}

type recordingStatus struct {
	client.SubResourceWriter
	c *recordingClient
}

// Update implements client.SubResourceWriter.
func (s *recordingStatus) Update(ctx context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	err := s.SubResourceWriter.Update(ctx, obj, opts...)
	s.c.wrote(obj, err)
	return err
}

// Patch implements client.SubResourceWriter.
func (s *recordingStatus) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
	err := s.SubResourceWriter.Patch(ctx, obj, patch, opts...)
	s.c.wrote(obj, err)
	return err
}
