package controller

import (
	"context"
	"fmt"
	"maps"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/appfile"
)

// health fills status.services for every component the workflow has not
// already checked in this reconcile, once something has been applied: each
// at the clusters and namespaces its last status lists (the Application's
// namespace in the hub when it has none). A member that does not answer makes
// its entry unhealthy with the reason.
func (r *Reconciler) health(ctx context.Context, s *appState) error {
	if s.outcome.Phase != v1beta1.WorkflowRunSucceeded {
		return nil
	}
	for _, c := range s.af.Components {
		if s.checked(c.Name) {
			continue
		}
		places := []v1beta1.ApplicationComponentStatus{{Name: c.Name}}
		if old := oldServices(s, c.Name); len(old) > 0 {
			places = old
		}
		for _, p := range places {
			st, err := r.placedHealth(ctx, s, c, p)
			if err != nil {
				return err
			}
			s.services[serviceKey(st)] = st
		}
	}
	return nil
}

// placedHealth is the health of component c where (and as the replica) at says.
func (r *Reconciler) placedHealth(ctx context.Context, s *appState, c *appfile.Component, at v1beta1.ApplicationComponentStatus) (*v1beta1.ApplicationComponentStatus, error) {
	cluster, ns := at.Cluster, at.Namespace
	cl, err := r.clientFor(ctx, cluster)
	if err != nil {
		return &v1beta1.ApplicationComponentStatus{Name: c.Name, Namespace: ns, Cluster: clusterKey(cluster), ReplicaKey: at.ReplicaKey, Message: err.Error()}, nil
	}
	m := s.manifests[c.Name]
	if at.ReplicaKey != "" {
		opts := s.renderOptions()
		opts.Cluster, opts.ReplicaKey = cluster, at.ReplicaKey
		if m, err = s.af.RenderComponent(ctx, r.cue, c, opts); err != nil {
			return nil, err
		}
		m = placed(m, func(o *unstructured.Unstructured) { defaultNamespace(cl, o, s.app.Namespace) })
	}
	if ns != "" && ns != s.app.Namespace {
		m = placed(m, func(o *unstructured.Unstructured) {
			if o.GetNamespace() == s.app.Namespace {
				o.SetNamespace(ns)
			}
		})
	}
	st, _, _, err := r.componentHealth(ctx, s, r.readFrom(ctx, cl, cluster, s.app), cluster, at.ReplicaKey, c, m)
	if err != nil && !isLocal(cluster) {
		msg := fmt.Sprintf("cluster %q: %v", cluster, err)
		return &v1beta1.ApplicationComponentStatus{Name: c.Name, Namespace: ns, Cluster: clusterKey(cluster), ReplicaKey: at.ReplicaKey, Message: msg}, nil
	}
	return st, err
}

// oldServices are the entries of the component in the last status.
func oldServices(s *appState, name string) []v1beta1.ApplicationComponentStatus {
	var out []v1beta1.ApplicationComponentStatus
	for _, old := range s.app.Status.Services {
		if old.Name == name {
			out = append(out, old)
		}
	}
	return out
}

// serviceKey identifies a status.services entry: component, cluster, namespace, replica.
func serviceKey(st *v1beta1.ApplicationComponentStatus) string {
	return st.Name + "|" + clusterKey(st.Cluster) + "|" + st.Namespace + "|" + st.ReplicaKey
}

// checked reports whether this reconcile already has a status of the component.
func (s *appState) checked(name string) bool {
	for _, st := range s.services {
		if st.Name == name {
			return true
		}
	}
	return false
}

// componentHealth gets a component's live objects with live and evaluates its
// and its traits' health policies and custom status.
func (r *Reconciler) componentHealth(ctx context.Context, s *appState, live liveReader, cluster, replica string, c *appfile.Component, m *appfile.ComponentManifest) (*v1beta1.ApplicationComponentStatus, map[string]any, map[string]any, error) {
	st := &v1beta1.ApplicationComponentStatus{Name: c.Name, Namespace: s.app.Namespace, Cluster: clusterKey(cluster), ReplicaKey: replica}
	var workload map[string]any
	if m.Workload != nil {
		st.Namespace = m.Workload.GetNamespace()
		st.WorkloadDefinition = v1beta1.WorkloadGVK{APIVersion: m.Workload.GetAPIVersion(), Kind: m.Workload.GetKind()}
		obj, err := live(m.Workload)
		if err != nil {
			return nil, nil, nil, err
		}
		if obj == nil {
			st.Message = fmt.Sprintf("%s %s not found", m.Workload.GetKind(), m.Workload.GetName())
			return st, nil, nil, nil
		}
		workload = withoutManagedFields(obj.Object)
	}
	outputs := map[string]any{}
	for _, t := range m.Traits {
		obj, err := live(t.Object)
		if err != nil {
			return nil, nil, nil, err
		}
		if obj != nil {
			outputs[t.Resource] = withoutManagedFields(obj.Object)
		}
	}
	opts := s.renderOptions()
	opts.Cluster, opts.ReplicaKey = cluster, replica
	cs, err := s.af.Status(ctx, r.cue, c, opts, workload, outputs)
	if err != nil {
		st.Message = err.Error()
		return st, workload, outputs, nil
	}
	st.Healthy, st.Message, st.Details = cs.Healthy(), cs.Message, cs.Details
	if !st.Healthy && workload != nil {
		if why := r.podProblems(ctx, cluster, workload); why != "" {
			st.Message = strings.TrimSpace(strings.TrimSpace(st.Message) + " " + why)
		}
	}
	for _, t := range cs.Traits {
		st.Traits = append(st.Traits, v1beta1.ApplicationTraitStatus{Type: t.Type, Healthy: t.Healthy, Message: t.Message, Details: t.Details})
	}
	return st, workload, outputs, nil
}

// liveReader returns the live version of a rendered object (nil when missing).
type liveReader func(*unstructured.Unstructured) (*unstructured.Unstructured, error)

// readFrom reads live objects of cluster through cl, or, for an object the
// controller's cache holds as app's (cachedObject), from the cache: a cached
// workload lags its live state by a watch event at most, and that event
// reconciles the Application again.
func (r *Reconciler) readFrom(ctx context.Context, cl client.Client, cluster string, app *v1beta1.Application) liveReader {
	return func(o *unstructured.Unstructured) (*unstructured.Unstructured, error) {
		if cached := r.cachedObject(ctx, cluster, o, app); cached != nil {
			if live, err := asUnstructured(cached, o); err == nil {
				return live, nil
			}
		}
		return r.readLive(ctx, cl, o)
	}
}

// appliedState is the liveReader of objects just dispatched: applying them left
// their live state (the API server's answer) in place, so they are not read again.
func appliedState(o *unstructured.Unstructured) (*unstructured.Unstructured, error) { return o, nil }

// readLive reads the live version of a rendered object through cl (nil when missing).
func (r *Reconciler) readLive(ctx context.Context, cl client.Client, o *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(o.GroupVersionKind())
	err := cl.Get(ctx, client.ObjectKeyFromObject(o), live)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s %s: %w", o.GetKind(), o.GetName(), err)
	}
	return live, nil
}

// withoutManagedFields is the live object o as health policies, custom status and a
// step's output see it: without metadata.managedFields, which no template reads and
// which would be most of what is filled into CUE (a shallow copy; o is not changed).
func withoutManagedFields(o map[string]any) map[string]any {
	md, ok := o["metadata"].(map[string]any)
	if !ok {
		return o
	}
	if _, ok := md["managedFields"]; !ok {
		return o
	}
	out, meta := maps.Clone(o), maps.Clone(md)
	delete(meta, "managedFields")
	out["metadata"] = meta
	return out
}
