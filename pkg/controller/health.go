package controller

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/appfile"
)

// health fills status.services for every component the workflow has not
// already checked in this reconcile, once something has been applied.
func (r *Reconciler) health(ctx context.Context, s *appState) error {
	if s.outcome.Phase != v1beta1.WorkflowRunSucceeded {
		return nil
	}
	for _, c := range s.af.Components {
		if _, ok := s.services[c.Name]; ok {
			continue
		}
		st, _, _, err := r.componentHealth(ctx, s, c, relocated(s, c.Name))
		if err != nil {
			return err
		}
		s.services[c.Name] = st
	}
	return nil
}

// relocated is the component's manifest moved to the namespace its last
// status reports (a topology policy may have deployed it elsewhere).
func relocated(s *appState, name string) *appfile.ComponentManifest {
	m := s.manifests[name]
	ns := ""
	for _, old := range s.app.Status.Services {
		if old.Name == name {
			ns = old.Namespace
		}
	}
	if ns == "" || ns == s.app.Namespace {
		return m
	}
	cp := *m
	move := func(o *unstructured.Unstructured) *unstructured.Unstructured {
		o = o.DeepCopy()
		if o.GetNamespace() == s.app.Namespace {
			o.SetNamespace(ns)
		}
		return o
	}
	if m.Workload != nil {
		cp.Workload = move(m.Workload)
	}
	cp.Traits = nil
	for _, t := range m.Traits {
		tc := *t
		tc.Object = move(t.Object)
		cp.Traits = append(cp.Traits, &tc)
	}
	return &cp
}

// componentHealth reads a component's live objects and evaluates its and its
// traits' health policies and custom status.
func (r *Reconciler) componentHealth(ctx context.Context, s *appState, c *appfile.Component, m *appfile.ComponentManifest) (*v1beta1.ApplicationComponentStatus, map[string]any, map[string]any, error) {
	st := &v1beta1.ApplicationComponentStatus{Name: c.Name, Namespace: s.app.Namespace}
	var live map[string]any
	if m.Workload != nil {
		st.Namespace = m.Workload.GetNamespace()
		st.WorkloadDefinition = v1beta1.WorkloadGVK{APIVersion: m.Workload.GetAPIVersion(), Kind: m.Workload.GetKind()}
		obj, err := r.readLive(ctx, m.Workload)
		if err != nil {
			return nil, nil, nil, err
		}
		if obj == nil {
			st.Message = fmt.Sprintf("%s %s not found", m.Workload.GetKind(), m.Workload.GetName())
			return st, nil, nil, nil
		}
		live = obj.Object
	}
	outputs := map[string]any{}
	for _, t := range m.Traits {
		obj, err := r.readLive(ctx, t.Object)
		if err != nil {
			return nil, nil, nil, err
		}
		if obj != nil {
			outputs[t.Resource] = obj.Object
		}
	}
	cs, err := s.af.Status(ctx, r.cue, c, s.renderOptions(), live, outputs)
	if err != nil {
		st.Message = err.Error()
		return st, live, outputs, nil
	}
	st.Healthy, st.Message, st.Details = cs.Healthy(), cs.Message, cs.Details
	for _, t := range cs.Traits {
		st.Traits = append(st.Traits, v1beta1.ApplicationTraitStatus{Type: t.Type, Healthy: t.Healthy, Message: t.Message, Details: t.Details})
	}
	return st, live, outputs, nil
}

// readLive reads the live version of a rendered object (nil when missing).
func (r *Reconciler) readLive(ctx context.Context, o *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(o.GroupVersionKind())
	err := r.client.Get(ctx, client.ObjectKeyFromObject(o), live)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", o.GetKind(), o.GetName(), err)
	}
	return live, nil
}
