package controller

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"velad.io/velad/pkg/apis/oam"
)

// workloadKinds are watched so an Application waiting for its workloads to
// become healthy is reconciled when they change, rather than on a timer.
func workloadKinds() []client.Object {
	return []client.Object{&appsv1.Deployment{}, &appsv1.StatefulSet{}, &appsv1.DaemonSet{}}
}

// cachedKinds are the kinds the controller's cache holds (workloadCache), by
// apiVersion and kind: the workload kinds it watches, and Services, which it
// only reads (cachedVersion).
var cachedKinds = map[schema.GroupVersionKind]func() client.Object{
	corev1.SchemeGroupVersion.WithKind("Service"):     func() client.Object { return &corev1.Service{} },
	appsv1.SchemeGroupVersion.WithKind("Deployment"):  func() client.Object { return &appsv1.Deployment{} },
	appsv1.SchemeGroupVersion.WithKind("StatefulSet"): func() client.Object { return &appsv1.StatefulSet{} },
	appsv1.SchemeGroupVersion.WithKind("DaemonSet"):   func() client.Object { return &appsv1.DaemonSet{} },
}

// workloadCache limits the cache of the cachedKinds to objects an Application
// created (they carry app.oam.dev/name).
func workloadCache() map[client.Object]cache.ByObject {
	req, err := labels.NewRequirement(oam.LabelAppName, selection.Exists, nil)
	if err != nil {
		panic(err) // a constant, valid requirement
	}
	sel := labels.NewSelector().Add(*req)
	out := map[client.Object]cache.ByObject{}
	for _, o := range cachedKinds {
		out[o()] = cache.ByObject{Label: sel}
	}
	return out
}

// enqueueOwnerApp maps an object to the Application named in its labels.
func enqueueOwnerApp() handler.EventHandler {
	return handler.EnqueueRequestsFromMapFunc(func(_ context.Context, o client.Object) []reconcile.Request {
		l := o.GetLabels()
		name, ns := l[oam.LabelAppName], l[oam.LabelAppNamespace]
		if name == "" {
			return nil
		}
		if ns == "" {
			ns = o.GetNamespace()
		}
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: ns, Name: name}}}
	})
}

// readinessChanged passes the workload events an Application's health can
// depend on: a deletion, a spec change, or the workload becoming ready or
// unready. Creations (the controller's own applies) and the intermediate
// status updates of a rollout are dropped; a step still waiting for health
// is retried every Workflow.WaitInterval anyway.
func readinessChanged() predicate.Predicate {
	return predicate.Funcs{
		CreateFunc: func(event.CreateEvent) bool { return false },
		UpdateFunc: func(e event.UpdateEvent) bool {
			return e.ObjectOld.GetGeneration() != e.ObjectNew.GetGeneration() || workloadReady(e.ObjectOld) != workloadReady(e.ObjectNew)
		},
	}
}

// workloadReady reports whether a Deployment, StatefulSet or DaemonSet has
// rolled out its current spec with every replica ready.
func workloadReady(o client.Object) bool {
	switch w := o.(type) {
	case *appsv1.Deployment:
		want := int32(1)
		if w.Spec.Replicas != nil {
			want = *w.Spec.Replicas
		}
		s := w.Status
		return s.ObservedGeneration >= w.Generation && s.UpdatedReplicas == want && s.ReadyReplicas == want &&
			s.AvailableReplicas == want && s.Replicas == want
	case *appsv1.StatefulSet:
		want := int32(1)
		if w.Spec.Replicas != nil {
			want = *w.Spec.Replicas
		}
		s := w.Status
		return s.ObservedGeneration >= w.Generation && s.ReadyReplicas == want && s.UpdatedReplicas == want &&
			s.CurrentRevision == s.UpdateRevision
	case *appsv1.DaemonSet:
		s := w.Status
		return s.ObservedGeneration >= w.Generation && s.NumberReady == s.DesiredNumberScheduled &&
			s.UpdatedNumberScheduled == s.DesiredNumberScheduled
	}
	return false
}
