package application

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
)

// SimulatedNodeLabel marks a node whose pods are simulated (velad's kwok node): they have
// no containers, so logs, exec and port-forward cannot reach them. Same key as
// pkg/server/node.SimulatedLabel, which this package must not import.
const SimulatedNodeLabel = "node.velad.io/simulated"

// Pod is a pod of an Application and where it runs.
type Pod struct {
	// Pod is the pod object.
	Pod corev1.Pod
	// Component is the component the pod belongs to.
	Component string
	// Simulated is true when the pod runs on a simulated node (or on none yet).
	Simulated bool
}

// Pods lists the pods of app (labelled app.oam.dev/name) in the namespaces its components
// were delivered to in cluster ("" or "local": the hub; c must be that cluster's client),
// optionally only those of component; sorted by component and name.
func Pods(ctx context.Context, c client.Client, app *v1beta1.Application, cluster, component string) ([]Pod, error) {
	if cluster == "" {
		cluster = LocalCluster
	}
	namespaces := map[string]bool{app.Namespace: true}
	for _, s := range app.Status.Services {
		sc := s.Cluster
		if sc == "" {
			sc = LocalCluster
		}
		if s.Namespace != "" && sc == cluster {
			namespaces[s.Namespace] = true
		}
	}
	sel := client.MatchingLabels{oam.LabelAppName: app.Name}
	if component != "" {
		sel[oam.LabelAppComponent] = component
	}
	nodes := map[string]bool{}
	var out []Pod
	for ns := range namespaces {
		var list corev1.PodList
		if err := c.List(ctx, &list, client.InNamespace(ns), sel); err != nil {
			return nil, fmt.Errorf("listing pods of application %s/%s: %w", app.Namespace, app.Name, err)
		}
		for _, p := range list.Items {
			sim, err := simulatedNode(ctx, c, p.Spec.NodeName, nodes)
			if err != nil {
				return nil, err
			}
			out = append(out, Pod{Pod: p, Component: p.Labels[oam.LabelAppComponent], Simulated: sim})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Component != out[j].Component {
			return out[i].Component < out[j].Component
		}
		return out[i].Pod.Name < out[j].Pod.Name
	})
	return out, nil
}

// simulatedNode reports whether node is simulated; a pod not scheduled yet counts as
// unreachable too. cache remembers nodes already read.
func simulatedNode(ctx context.Context, c client.Client, node string, cache map[string]bool) (bool, error) {
	if node == "" {
		return true, nil
	}
	if sim, ok := cache[node]; ok {
		return sim, nil
	}
	var n corev1.Node
	if err := c.Get(ctx, client.ObjectKey{Name: node}, &n); err != nil {
		if client.IgnoreNotFound(err) == nil {
			cache[node] = false
			return false, nil
		}
		return false, fmt.Errorf("reading node %s: %w", node, err)
	}
	cache[node] = n.Labels[SimulatedNodeLabel] == "true"
	return cache[node], nil
}
