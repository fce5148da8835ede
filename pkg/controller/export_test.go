package controller

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

// testReconciler is a Reconciler making every request through c, with cached
// standing in for the manager's cache.
func testReconciler(c client.Client, cached client.Reader) (*Reconciler, error) {
	r, err := NewReconciler(c, c, Options{})
	if err != nil {
		return nil, err
	}
	r.cached = cached
	return r, nil
}

// DispatchForTest applies objs for app at revision rev as a workflow step
// of a reconcile does (ownership, policies, tracker, apply).
func DispatchForTest(ctx context.Context, c client.Client, cached client.Reader, app *v1beta1.Application, rev string, objs ...*unstructured.Unstructured) error {
	r, err := testReconciler(c, cached)
	if err != nil {
		return err
	}
	s := &appState{app: app, rev: v1beta1.Revision{Name: rev}}
	return r.newDispatcher(s).dispatch(ctx, c, "test", "", objs)
}

// KeepForTest applies m again for app as state keeping does.
func KeepForTest(ctx context.Context, c client.Client, cached client.Reader, app *v1beta1.Application, m *unstructured.Unstructured) error {
	r, err := testReconciler(c, cached)
	if err != nil {
		return err
	}
	pol, err := parseResourcePolicies(app)
	if err != nil {
		return err
	}
	return r.keepObject(ctx, c, app, pol, "", m, pol.applyOnceFor(m))
}

// StoredCompressionForTest is storedCompression.
var StoredCompressionForTest = storedCompression
