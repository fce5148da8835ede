package workflow

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// LocalCluster is the hub's cluster name in topology policies and context.cluster.
const LocalCluster = "local"

// Placement is one cluster and namespace a deploy step delivers components to.
type Placement struct {
	// Cluster is the cluster name (LocalCluster for the hub).
	Cluster string
	// Namespace replaces the Application's namespace ("" keeps it).
	Namespace string
}

// String is "cluster" or "cluster/namespace".
func (p Placement) String() string {
	if p.Namespace == "" {
		return p.Cluster
	}
	return p.Cluster + "/" + p.Namespace
}

// ClusterInfo is a joined member cluster as topology policies see it.
type ClusterInfo struct {
	// Name is the cluster name.
	Name string
	// Labels are the cluster's labels (vela cluster labels).
	Labels map[string]string
}

// namedPolicy is a policy a deploy step uses, with its name for messages.
type namedPolicy struct {
	name, typ string
	props     map[string]any
}

// topologyFields are the properties of a topology policy.
var topologyFields = map[string]bool{"clusters": true, "clusterLabelSelector": true, "clusterSelector": true, "namespace": true, "allowEmpty": true}

// placements resolves topology policies as KubeVela does: `clusters` names
// joined clusters (or "local"), else `clusterLabelSelector` (or the deprecated
// `clusterSelector`) selects them by label ({} selects all; none matching is an
// error unless allowEmpty), else the topology means the local cluster; each
// with the topology's namespace. No topology at all means the local cluster.
func (o *oamActions) placements(ctx context.Context, topologies []namedPolicy) ([]Placement, error) {
	if len(topologies) == 0 {
		return []Placement{{Cluster: LocalCluster}}, nil
	}
	var members []ClusterInfo
	loaded := false
	load := func() error {
		if loaded {
			return nil
		}
		loaded = true
		if o.env.Clusters == nil {
			return nil
		}
		var err error
		members, err = o.env.Clusters(ctx)
		return err
	}
	var out []Placement
	seen := map[Placement]bool{}
	add := func(cluster, ns string) {
		p := Placement{Cluster: cluster, Namespace: ns}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, t := range topologies {
		for k := range t.props {
			if !topologyFields[k] {
				return nil, fmt.Errorf("topology policy %q: unknown field %q (known: allowEmpty, clusterLabelSelector, clusters, namespace)", t.name, k)
			}
		}
		ns, _ := t.props["namespace"].(string)
		selector, hasSelector := t.props["clusterLabelSelector"].(map[string]any)
		if !hasSelector {
			selector, hasSelector = t.props["clusterSelector"].(map[string]any)
		}
		clusters, hasClusters := t.props["clusters"].([]any)
		switch {
		case hasClusters:
			if err := load(); err != nil {
				return nil, err
			}
			for _, c := range clusters {
				name := fmt.Sprint(c)
				if name != LocalCluster && !hasCluster(members, name) {
					return nil, fmt.Errorf("topology policy %q: cluster %q is not joined (see vela cluster list; join it with vela cluster join)", t.name, name)
				}
				add(name, ns)
			}
		case hasSelector:
			if err := load(); err != nil {
				return nil, err
			}
			matched := selectClusters(members, selector)
			if len(matched) == 0 {
				if allow, _ := t.props["allowEmpty"].(bool); !allow {
					return nil, fmt.Errorf("topology policy %q: no joined cluster has the labels %s (label one with vela cluster labels add, or set allowEmpty: true)", t.name, formatSelector(selector))
				}
			}
			for _, name := range matched {
				add(name, ns)
			}
		default:
			add(LocalCluster, ns)
		}
	}
	return out, nil
}

func hasCluster(members []ClusterInfo, name string) bool {
	for _, m := range members {
		if m.Name == name {
			return true
		}
	}
	return false
}

// selectClusters returns the clusters whose labels hold every pair of
// selector; an empty selector selects every cluster, the local one first.
func selectClusters(members []ClusterInfo, selector map[string]any) []string {
	var out []string
	if len(selector) == 0 {
		out = append(out, LocalCluster)
	}
	for _, m := range members {
		ok := true
		for k, v := range selector {
			if got, has := m.Labels[k]; !has || got != fmt.Sprint(v) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, m.Name)
		}
	}
	return out
}

func formatSelector(selector map[string]any) string {
	pairs := make([]string, 0, len(selector))
	for k, v := range selector {
		pairs = append(pairs, fmt.Sprintf("%s=%v", k, v))
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}
