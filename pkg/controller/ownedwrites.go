package controller

import (
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
)

// ownedWrites remembers, per Application, the newest resourceVersion at which
// the controller wrote each kind of object only it writes for the Application:
// its ResourceTrackers and its ApplicationRevisions. One of them written by an
// earlier process is older than any write of this one, so the API server's
// watch cache, once at that version, holds each of that kind as it is: garbage
// collection lists the trackers, and state keeping and the workflow's record
// read a tracker or a revision, no older than that version (the API server
// answers from its watch cache at once) instead of with a consistent read,
// which goes to the store and, for a list, first waits until the cache has
// caught up with it (~40 ms under load). The kinds have their own marks: a
// tracker read need not wait for the cache to see a revision written just
// before. Deleting one, or a write of one that failed (it may have happened),
// drops the Application's mark of that kind, so the next read is consistent
// again; a restarted controller starts with none.
type ownedWrites struct{ trackers, revisions *versionMarks }

func newOwnedWrites() *ownedWrites {
	return &ownedWrites{trackers: newVersionMarks(), revisions: newVersionMarks()}
}

// of is the marks of o's kind and the Application o belongs to, from its labels.
func (w *ownedWrites) of(o client.Object) (*versionMarks, client.ObjectKey, bool) {
	l := o.GetLabels()
	switch o.(type) {
	case *v1beta1.ResourceTracker:
		k := client.ObjectKey{Namespace: l[oam.LabelAppNamespace], Name: l[oam.LabelAppName]}
		return w.trackers, k, k.Name != ""
	case *v1beta1.ApplicationRevision:
		k := client.ObjectKey{Namespace: o.GetNamespace(), Name: l[oam.LabelAppName]}
		return w.revisions, k, k.Name != ""
	}
	return nil, client.ObjectKey{}, false
}

// written notes a successful create or update of o (only trackers and
// revisions count).
func (w *ownedWrites) written(o client.Object) {
	if m, k, ok := w.of(o); ok && !m.raise(k, o.GetResourceVersion()) {
		m.forget(k) // an unknown version: read consistently
	}
}

// deleted notes the deletion of o, or a write of it that failed: the next
// read of its kind for its Application is consistent.
func (w *ownedWrites) deleted(o client.Object) {
	if m, k, ok := w.of(o); ok {
		m.forget(k)
	}
}

// forget drops what is known about an Application's trackers and revisions.
func (w *ownedWrites) forget(k client.ObjectKey) {
	w.trackers.forget(k)
	w.revisions.forget(k)
}

// trackerList lists app's trackers, and trackerRead and revisionRead read one of
// its trackers or revisions, no older than the controller's last write of one of
// that kind, from the API server's watch cache; consistently (no option) when
// that is unknown.
func (w *ownedWrites) trackerList(app *v1beta1.Application) []client.ListOption {
	if rv := since(w.trackers, app); rv != "" {
		return []client.ListOption{&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv, ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan}}}
	}
	return nil
}

func (w *ownedWrites) trackerRead(app *v1beta1.Application) []client.GetOption {
	return notOlderThan(since(w.trackers, app))
}

func (w *ownedWrites) revisionRead(app *v1beta1.Application) []client.GetOption {
	return notOlderThan(since(w.revisions, app))
}

func since(m *versionMarks, app *v1beta1.Application) string {
	if rv, ok := m.get(client.ObjectKeyFromObject(app)); ok {
		return strconv.FormatUint(rv, 10)
	}
	return ""
}

func notOlderThan(rv string) []client.GetOption {
	if rv == "" {
		return nil
	}
	return []client.GetOption{&client.GetOptions{Raw: &metav1.GetOptions{ResourceVersion: rv}}}
}
