package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
)

func testTracker(app, rv string) *v1beta1.ResourceTracker {
	return &v1beta1.ResourceTracker{ObjectMeta: metav1.ObjectMeta{Name: app + "-v1-default", ResourceVersion: rv,
		Labels: trackerLabels(testApp(app, "", 1))}}
}

func testRevision(app, rv string) *v1beta1.ApplicationRevision {
	return &v1beta1.ApplicationRevision{ObjectMeta: metav1.ObjectMeta{Name: app + "-v1", Namespace: "default", ResourceVersion: rv,
		Labels: map[string]string{oam.LabelAppName: app}}}
}

// readVersion is the resourceVersion opts read no older than ("" for a consistent read).
func readVersion(opts []client.GetOption) string {
	o := &client.GetOptions{}
	for _, opt := range opts {
		opt.ApplyToGet(o)
	}
	if o.Raw == nil {
		return ""
	}
	return o.Raw.ResourceVersion
}

// listVersion is the resourceVersion opts list no older than ("" for a consistent list).
func listVersion(t *testing.T, opts []client.ListOption) string {
	t.Helper()
	o := &client.ListOptions{}
	o.ApplyOptions(opts)
	if o.Raw == nil {
		return ""
	}
	if o.Raw.ResourceVersionMatch != metav1.ResourceVersionMatchNotOlderThan {
		t.Fatalf("a list at %q must be NotOlderThan, got %q", o.Raw.ResourceVersion, o.Raw.ResourceVersionMatch)
	}
	return o.Raw.ResourceVersion
}

func TestOwnedWritesGiveTheVersionToReadNoOlderThan(t *testing.T) {
	w := newOwnedWrites()
	a := testApp("a", "1", 1)
	if got := listVersion(t, w.trackerList(a)); got != "" {
		t.Fatalf("with no tracker written since start the list must be consistent, got since=%q", got)
	}
	w.written(testTracker("a", "20"))
	w.written(testTracker("a", "15")) // an older write never lowers the mark
	w.written(testTracker("b", "30"))
	w.written(testApp("a", "40", 1)) // only trackers and revisions count
	if got := listVersion(t, w.trackerList(a)); got != "20" {
		t.Fatalf("since = %q, want the newest tracker write 20", got)
	}
	if got := readVersion(w.trackerRead(a)); got != "20" {
		t.Fatalf("a tracker read = %q, want no older than 20", got)
	}
	if got := readVersion(w.revisionRead(a)); got != "" {
		t.Fatalf("no revision written: a revision read must be consistent, got %q", got)
	}
	// Each kind has its own mark: a tracker read never waits for a newer revision write.
	w.written(testRevision("a", "25"))
	if got, rev := listVersion(t, w.trackerList(a)), readVersion(w.revisionRead(a)); got != "20" || rev != "25" {
		t.Fatalf("tracker mark %q, revision mark %q; want 20 and 25", got, rev)
	}
	w.deleted(testRevision("a", "")) // a failed write too: it may have happened
	if got, rev := listVersion(t, w.trackerList(a)), readVersion(w.revisionRead(a)); got != "20" || rev != "" {
		t.Fatalf("after a revision write failed: tracker mark %q, revision mark %q; want 20 and consistent", got, rev)
	}
	w.deleted(testTracker("a", ""))
	if got := listVersion(t, w.trackerList(a)); got != "" {
		t.Fatalf("after a tracker of the app was deleted the list must be consistent, got since=%q", got)
	}
	if got := listVersion(t, w.trackerList(testApp("b", "1", 1))); got != "30" {
		t.Fatalf("another app's mark must stay, got %q", got)
	}
	w.written(testTracker("b", "not-a-number"))
	if got := listVersion(t, w.trackerList(testApp("b", "1", 1))); got != "" {
		t.Fatalf("an unparsable version must make the list consistent, got %q", got)
	}
	w.written(testTracker("c", "5"))
	w.written(testRevision("c", "6"))
	w.forget(client.ObjectKey{Namespace: "default", Name: "c"})
	if got, rev := listVersion(t, w.trackerList(testApp("c", "1", 1))), readVersion(w.revisionRead(testApp("c", "1", 1))); got != "" || rev != "" {
		t.Fatalf("a forgotten app reads consistently, got %q and %q", got, rev)
	}
}
