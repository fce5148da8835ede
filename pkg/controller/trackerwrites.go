package controller

import (
	"strconv"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
)

// trackerWrites remembers, per Application, the newest resourceVersion at
// which the controller created or updated one of its ResourceTrackers. Only
// this controller writes an Application's trackers, and a tracker written by
// an earlier process is older than any write of this one, so a list of the
// trackers no older than that version holds every tracker there is: garbage
// collection lists them so (the API server answers from its watch cache at
// once) instead of with a consistent read, which first waits until the cache
// has caught up with the store, ~40 ms under load. Deleting a tracker drops
// the Application's entry, so the next list is consistent again; a restarted
// controller starts with none.
type trackerWrites struct{ marks *versionMarks }

func newTrackerWrites() *trackerWrites { return &trackerWrites{marks: newVersionMarks()} }

// trackerApp is the Application a tracker belongs to, from its labels.
func trackerApp(o client.Object) (client.ObjectKey, bool) {
	if _, ok := o.(*v1beta1.ResourceTracker); !ok {
		return client.ObjectKey{}, false
	}
	l := o.GetLabels()
	k := client.ObjectKey{Namespace: l[oam.LabelAppNamespace], Name: l[oam.LabelAppName]}
	return k, k.Name != ""
}

// written notes a successful create or update of o (only trackers count).
func (w *trackerWrites) written(o client.Object) {
	if k, ok := trackerApp(o); ok && !w.marks.raise(k, o.GetResourceVersion()) {
		w.marks.forget(k) // an unknown version: list consistently
	}
}

// deleted notes the deletion of o: its Application's next list is consistent.
func (w *trackerWrites) deleted(o client.Object) {
	if k, ok := trackerApp(o); ok {
		w.marks.forget(k)
	}
}

// forget drops what is known about an Application's trackers.
func (w *trackerWrites) forget(k client.ObjectKey) { w.marks.forget(k) }

// since is the resourceVersion an Application's trackers can be listed no
// older than ("" when unknown: list consistently).
func (w *trackerWrites) since(app *v1beta1.Application) string {
	if rv, ok := w.marks.get(client.ObjectKeyFromObject(app)); ok {
		return strconv.FormatUint(rv, 10)
	}
	return ""
}
