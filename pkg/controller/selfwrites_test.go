package controller

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

func testApp(name, rv string, gen int64) *v1beta1.Application {
	return &v1beta1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, ResourceVersion: rv, Generation: gen}}
}

func TestSelfWritesFilterOnlyTheControllersOwnEchoes(t *testing.T) {
	w := newSelfWrites()
	p := w.predicate()
	update := func(old, new *v1beta1.Application) bool {
		return p.Update(event.UpdateEvent{ObjectOld: old, ObjectNew: new})
	}
	if !update(testApp("a", "9", 1), testApp("a", "10", 1)) {
		t.Error("an update nobody recorded must reconcile")
	}
	w.record(testApp("a", "10", 1))
	w.record(testApp("a", "8", 1)) // an older write never lowers the mark
	if update(testApp("a", "9", 1), testApp("a", "10", 1)) || update(testApp("a", "8", 1), testApp("a", "9", 1)) {
		t.Error("the echo of the controller's write (or an older event) must not reconcile")
	}
	if !update(testApp("a", "10", 1), testApp("a", "11", 1)) {
		t.Error("a later write by someone else (vela workflow resume) must reconcile")
	}
	if !update(testApp("a", "9", 1), testApp("a", "10", 2)) {
		t.Error("a spec change must always reconcile")
	}
	if !update(testApp("b", "9", 1), testApp("b", "10", 1)) {
		t.Error("another Application's update must reconcile")
	}
	w.record(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "b", ResourceVersion: "50"}})
	if !update(testApp("b", "9", 1), testApp("b", "10", 1)) {
		t.Error("only Application writes are recorded")
	}
	w.forget(client.ObjectKey{Namespace: "default", Name: "a"})
	if !update(testApp("a", "9", 1), testApp("a", "10", 1)) {
		t.Error("a forgotten Application reconciles on every update")
	}
}

func TestCachedApplicationIsUsedOnlyOnceItHoldsTheLastWrite(t *testing.T) {
	w := newSelfWrites()
	if !w.caughtUp(testApp("a", "5", 1)) {
		t.Error("with no write since start, the cache (listed after any earlier write) is used")
	}
	w.record(testApp("a", "10", 1))
	if w.caughtUp(testApp("a", "9", 1)) {
		t.Error("a cached copy older than the controller's last write (a checkpoint) must be read again")
	}
	if !w.caughtUp(testApp("a", "10", 1)) || !w.caughtUp(testApp("a", "12", 1)) {
		t.Error("a cached copy at or after the last write is used")
	}
	if w.caughtUp(testApp("a", "x", 1)) {
		t.Error("an unparsable resourceVersion must be read again")
	}
}

func TestWorkloadEventsPassOnReadinessChanges(t *testing.T) {
	one := int32(1)
	dep := func(gen, observed int64, replicas, updated, ready, available int32) *appsv1.Deployment {
		return &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Generation: gen},
			Spec:       appsv1.DeploymentSpec{Replicas: &one},
			Status: appsv1.DeploymentStatus{ObservedGeneration: observed, Replicas: replicas, UpdatedReplicas: updated,
				ReadyReplicas: ready, AvailableReplicas: available},
		}
	}
	p := readinessChanged()
	if p.Create(event.CreateEvent{Object: dep(1, 0, 0, 0, 0, 0)}) {
		t.Error("creations are the controller's own applies")
	}
	if !p.Delete(event.DeleteEvent{Object: dep(1, 1, 1, 1, 1, 1)}) {
		t.Error("a deleted workload must reconcile")
	}
	steps := []*appsv1.Deployment{dep(1, 0, 0, 0, 0, 0), dep(1, 1, 1, 1, 0, 0), dep(1, 1, 1, 1, 1, 1), dep(1, 1, 1, 1, 0, 0)}
	want := []bool{false, true, true}
	for i := range want {
		if got := p.Update(event.UpdateEvent{ObjectOld: steps[i], ObjectNew: steps[i+1]}); got != want[i] {
			t.Errorf("rollout step %d: passed %v, want %v", i, got, want[i])
		}
	}
	if !p.Update(event.UpdateEvent{ObjectOld: dep(1, 1, 1, 1, 1, 1), ObjectNew: dep(2, 1, 1, 1, 1, 1)}) {
		t.Error("a spec change must reconcile")
	}
}
