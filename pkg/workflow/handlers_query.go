package workflow

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/application"
)

// clientFor adapts Env.ClientFor to application.ClusterClients.
type clientFor func(ctx context.Context, cluster string) (client.Client, error)

func (f clientFor) Client(ctx context.Context, cluster string) (client.Client, error) {
	return f(ctx, cluster)
}

// listResourcesInApp lists the live resources an Application owns (vela/query
// #ListResourcesInApp) as KubeVela does: {cluster, component, trait, object}, narrowed by
// app.filter (cluster, clusterNamespace, components, kind, apiVersion). Resources that
// cannot be read are left out.
func (k *kubeActions) listResourcesInApp(ctx context.Context, in map[string]any) (map[string]any, error) {
	sel, _ := in["app"].(map[string]any)
	name, _ := sel["name"].(string)
	ns, _ := sel["namespace"].(string)
	if ns == "" {
		ns = k.env.Namespace
	}
	app, err := application.Get(ctx, k.env.Client, ns, name)
	if err != nil {
		return map[string]any{"err": err.Error()}, nil
	}
	var members application.ClusterClients
	if k.env.ClientFor != nil {
		members = clientFor(k.env.ClientFor)
	}
	live, err := application.LiveResourcesIn(ctx, k.env.Client, app, members)
	if err != nil {
		return map[string]any{"err": err.Error()}, nil
	}
	f, _ := sel["filter"].(map[string]any)
	list := []any{}
	for _, r := range live {
		if r.Object == nil || !matches(f, r) {
			continue
		}
		list = append(list, map[string]any{"cluster": r.Cluster, "component": r.Component, "trait": r.Trait, "object": r.Object.Object})
	}
	return map[string]any{"list": list}, nil
}

// matches reports whether r passes a #ListResourcesInApp filter.
func matches(f map[string]any, r application.LiveResource) bool {
	for key, want := range map[string]string{"cluster": r.Cluster, "clusterNamespace": r.Namespace, "kind": r.Kind, "apiVersion": r.APIVersion} {
		if v, ok := f[key].(string); ok && v != "" && v != want {
			return false
		}
	}
	comps, ok := f["components"].([]any)
	if !ok || len(comps) == 0 {
		return true
	}
	for _, c := range comps {
		if fmt.Sprint(c) == r.Component {
			return true
		}
	}
	return false
}
