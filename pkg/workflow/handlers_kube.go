package workflow

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// kubeActions implement vela/kube on the local cluster, or on the member an
// action's `cluster` names.
type kubeActions struct{ env *Env }

// clientOf returns the client of the cluster an action names ("" or "local": the hub).
func (k *kubeActions) clientOf(ctx context.Context, in map[string]any) (client.Client, string, error) {
	cluster, _ := in["cluster"].(string)
	if cluster == "" || cluster == LocalCluster {
		return k.env.Client, "", nil
	}
	if k.env.ClientFor == nil {
		return nil, "", fmt.Errorf("cluster %q: this workflow runs without member cluster clients", cluster)
	}
	c, err := k.env.ClientFor(ctx, cluster)
	return c, cluster, err
}

func object(in map[string]any, key string) (*unstructured.Unstructured, error) {
	m, ok := in[key].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s must be an object", key)
	}
	return &unstructured.Unstructured{Object: m}, nil
}

func (k *kubeActions) defaultNamespace(u *unstructured.Unstructured) {
	if u.GetNamespace() != "" {
		return
	}
	if ns, err := k.env.Client.IsObjectNamespaced(u); err == nil && ns {
		u.SetNamespace(k.env.Namespace)
	}
}

func (k *kubeActions) apply(ctx context.Context, in map[string]any) (map[string]any, error) {
	u, err := object(in, "value")
	if err != nil {
		return nil, err
	}
	k.defaultNamespace(u)
	if cluster, _ := in["cluster"].(string); cluster != "" && cluster != LocalCluster {
		ca, ok := k.env.Dispatcher.(ClusterApplier)
		if !ok {
			return nil, fmt.Errorf("cluster %q: this workflow applies to the local cluster only", cluster)
		}
		err = ca.ApplyIn(ctx, cluster, u)
	} else {
		err = k.env.Dispatcher.Apply(ctx, u)
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"value": u.Object}, nil
}

func (k *kubeActions) applyInParallel(ctx context.Context, in map[string]any) (map[string]any, error) {
	list, _ := in["value"].([]any)
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("value[%d] must be an object", i)
		}
		if _, err := k.apply(ctx, map[string]any{"value": m, "cluster": in["cluster"]}); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

// read returns the live object in value, or the error in err (templates test err).
func (k *kubeActions) read(ctx context.Context, in map[string]any) (map[string]any, error) {
	u, err := object(in, "value")
	if err != nil {
		return nil, err
	}
	k.defaultNamespace(u)
	c, _, err := k.clientOf(ctx, in)
	if err != nil {
		return nil, err
	}
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(u.GroupVersionKind())
	if err := c.Get(ctx, client.ObjectKeyFromObject(u), live); err != nil {
		return map[string]any{"err": err.Error()}, nil
	}
	return map[string]any{"value": live.Object}, nil
}

// filterOption narrows a list or a delete-all (client.InNamespace, client.MatchingLabels).
type filterOption interface {
	client.ListOption
	client.DeleteAllOfOption
}

// filterOptions reads the `filter` of a list or delete action: namespace, matchingLabels.
func filterOptions(in map[string]any) []filterOption {
	f, _ := in["filter"].(map[string]any)
	var opts []filterOption
	if ns, _ := f["namespace"].(string); ns != "" {
		opts = append(opts, client.InNamespace(ns))
	}
	if ml, ok := f["matchingLabels"].(map[string]any); ok {
		labels := client.MatchingLabels{}
		for key, v := range ml {
			labels[key] = fmt.Sprint(v)
		}
		opts = append(opts, labels)
	}
	return opts
}

func (k *kubeActions) list(ctx context.Context, in map[string]any) (map[string]any, error) {
	res, _ := in["resource"].(map[string]any)
	apiVersion, _ := res["apiVersion"].(string)
	kind, _ := res["kind"].(string)
	l := &unstructured.UnstructuredList{}
	l.SetAPIVersion(apiVersion)
	l.SetKind(kind + "List")
	var opts []client.ListOption
	for _, o := range filterOptions(in) {
		opts = append(opts, o)
	}
	c, _, err := k.clientOf(ctx, in)
	if err != nil {
		return nil, err
	}
	if err := c.List(ctx, l, opts...); err != nil {
		return map[string]any{"err": err.Error()}, nil
	}
	items := make([]any, len(l.Items))
	for i := range l.Items {
		items[i] = l.Items[i].Object
	}
	return map[string]any{"list": map[string]any{"apiVersion": apiVersion, "kind": kind + "List", "items": items}}, nil
}

func (k *kubeActions) delete(ctx context.Context, in map[string]any) (map[string]any, error) {
	u, err := object(in, "value")
	if err != nil {
		return nil, err
	}
	k.defaultNamespace(u)
	c, cluster, err := k.clientOf(ctx, in)
	if err != nil {
		return nil, err
	}
	if u.GetName() != "" {
		if err := c.Delete(ctx, u); client.IgnoreNotFound(err) != nil {
			return nil, fmt.Errorf("deleting %s %s: %w", u.GetKind(), u.GetName(), err)
		}
		if cluster != "" {
			if ca, ok := k.env.Dispatcher.(ClusterApplier); ok {
				return nil, ca.ForgetIn(ctx, cluster, u)
			}
			return nil, nil
		}
		if f, ok := k.env.Dispatcher.(Forgetter); ok {
			return nil, f.Forget(ctx, u)
		}
		return nil, nil
	}
	var opts []client.DeleteAllOfOption
	for _, o := range filterOptions(in) {
		opts = append(opts, o)
	}
	if err := c.DeleteAllOf(ctx, u, opts...); err != nil {
		return nil, fmt.Errorf("deleting %s objects: %w", u.GetKind(), err)
	}
	return nil, nil
}

// collectServiceEndpoints lists the Services an Application created (by its
// app.oam.dev/name label) as endpoints {host, port, portName, protocol}.
func (k *kubeActions) collectServiceEndpoints(ctx context.Context, in map[string]any) (map[string]any, error) {
	app, _ := in["app"].(map[string]any)
	name, _ := app["name"].(string)
	ns, _ := app["namespace"].(string)
	var comps map[string]bool
	if f, ok := app["filter"].(map[string]any); ok {
		if cs, ok := f["components"].([]any); ok {
			comps = map[string]bool{}
			for _, c := range cs {
				comps[fmt.Sprint(c)] = true
			}
		}
	}
	var svcs corev1.ServiceList
	if err := k.env.Client.List(ctx, &svcs, client.InNamespace(ns), client.MatchingLabels{"app.oam.dev/name": name}); err != nil {
		return map[string]any{"err": err.Error()}, nil
	}
	var list []any
	for _, svc := range svcs.Items {
		comp := svc.Labels["app.oam.dev/component"]
		if comps != nil && !comps[comp] {
			continue
		}
		for _, p := range svc.Spec.Ports {
			ep := map[string]any{"host": svc.Spec.ClusterIP, "port": int64(p.Port), "protocol": string(p.Protocol), "inner": true}
			if p.Name != "" {
				ep["portName"] = p.Name
			}
			ref, _ := runtime.DefaultUnstructuredConverter.ToUnstructured(&metav1.ObjectMeta{Name: svc.Name, Namespace: svc.Namespace})
			list = append(list, map[string]any{"endpoint": ep, "ref": ref, "component": comp})
		}
	}
	return map[string]any{"list": list}, nil
}
