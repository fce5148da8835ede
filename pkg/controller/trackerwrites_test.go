package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

func testTracker(app, rv string) *v1beta1.ResourceTracker {
	return &v1beta1.ResourceTracker{ObjectMeta: metav1.ObjectMeta{Name: app + "-v1-default", ResourceVersion: rv,
		Labels: trackerLabels(testApp(app, "", 1))}}
}

func TestTrackerWritesGiveTheVersionToListNoOlderThan(t *testing.T) {
	w := newTrackerWrites()
	a := testApp("a", "1", 1)
	if got := w.since(a); got != "" {
		t.Fatalf("with no tracker written since start the list must be consistent, got since=%q", got)
	}
	w.written(testTracker("a", "20"))
	w.written(testTracker("a", "15")) // an older write never lowers the mark
	w.written(testTracker("b", "30"))
	w.written(testApp("a", "40", 1)) // only trackers count
	if got := w.since(a); got != "20" {
		t.Fatalf("since = %q, want the newest tracker write 20", got)
	}
	w.deleted(testTracker("a", ""))
	if got := w.since(a); got != "" {
		t.Fatalf("after a tracker of the app was deleted the list must be consistent, got since=%q", got)
	}
	if got := w.since(testApp("b", "1", 1)); got != "30" {
		t.Fatalf("another app's mark must stay, got %q", got)
	}
	w.written(testTracker("b", "not-a-number"))
	if got := w.since(testApp("b", "1", 1)); got != "" {
		t.Fatalf("an unparsable version must make the list consistent, got %q", got)
	}
	w.written(testTracker("c", "5"))
	w.forget(client.ObjectKey{Namespace: "default", Name: "c"})
	if got := w.since(testApp("c", "1", 1)); got != "" {
		t.Fatalf("a forgotten app lists consistently, got %q", got)
	}
}
