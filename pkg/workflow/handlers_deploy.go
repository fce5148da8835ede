package workflow

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"velad.io/velad/pkg/parallel"
)

// deploy implements multicluster #Deploy (KubeVela's deploy step): topology
// policies choose the placements (clusters and namespaces), override
// policies patch the components in the order listed, replication policies
// split components into one replica per key, and every component is
// applied to every placement, dependencies first, at most `parallelism` at a
// time. The step waits until all are healthy.
func (o *oamActions) deploy(ctx context.Context, in map[string]any) (map[string]any, error) {
	policies, err := o.deployPolicies(in)
	if err != nil {
		return nil, err
	}
	parallelism := 5
	switch p := in["parallelism"].(type) {
	case int64:
		parallelism = int(p)
	case float64:
		parallelism = int(p)
	case int:
		parallelism = p
	}
	if parallelism < 1 {
		return nil, fmt.Errorf("deploy: parallelism must be at least 1, not %d", parallelism)
	}
	comps := o.env.Dispatcher.Components()
	var topologies, replications []namedPolicy
	for _, p := range policies {
		switch p.typ {
		case "topology":
			topologies = append(topologies, p)
		case "override":
			if comps, err = override(comps, p.props); err != nil {
				return nil, fmt.Errorf("policy %q: %w", p.name, err)
			}
		case "replication":
			replications = append(replications, p)
		}
	}
	for _, p := range replications {
		if comps, err = replicate(comps, p.props); err != nil {
			return nil, fmt.Errorf("policy %q: %w", p.name, err)
		}
	}
	placements, err := o.placements(ctx, topologies)
	if err != nil {
		return nil, fmt.Errorf("deploy: %w", err)
	}
	return nil, o.applyPlaced(ctx, comps, placements, parallelism)
}

// deployPolicies returns the policies a deploy step names, then its inline ones.
func (o *oamActions) deployPolicies(in map[string]any) ([]namedPolicy, error) {
	var out []namedPolicy
	names, _ := in["policies"].([]any)
	for _, n := range names {
		typ, props, ok := o.env.Dispatcher.Policy(fmt.Sprint(n))
		if !ok {
			return nil, fmt.Errorf("deploy: policy %q is not declared in the application", n)
		}
		out = append(out, namedPolicy{name: fmt.Sprint(n), typ: typ, props: props})
	}
	inline, _ := in["inlinePolicies"].([]any)
	for i, p := range inline {
		m, ok := p.(map[string]any)
		if !ok {
			continue
		}
		name, _ := m["name"].(string)
		if name == "" {
			name = fmt.Sprintf("inlinePolicies[%d]", i)
		}
		typ, _ := m["type"].(string)
		props, _ := m["properties"].(map[string]any)
		out = append(out, namedPolicy{name: name, typ: typ, props: props})
	}
	return out, nil
}

// placedTask is one component for one placement.
type placedTask struct {
	p    Placement
	comp map[string]any
	name string
}

// applyPlaced applies comps to every placement in waves: a component goes
// once its dependsOn are healthy in the same placement; each wave runs at most
// parallelism applies at once. Failures and waits of one placement do not stop
// the others; errors (which name the cluster) win over waits.
func (o *oamActions) applyPlaced(ctx context.Context, comps []map[string]any, placements []Placement, parallelism int) error {
	healthy := map[Placement]map[string]bool{}
	pending := make([]placedTask, 0, len(comps)*len(placements))
	for _, p := range placements {
		healthy[p] = map[string]bool{}
		for _, c := range comps {
			name, _ := c["name"].(string)
			pending = append(pending, placedTask{p: p, comp: c, name: name})
		}
	}
	var errs []error
	waits := map[string]string{}
	for len(pending) > 0 {
		var ready, blocked []placedTask
		for _, t := range pending {
			if depsHealthy(t.comp, healthy[t.p]) {
				ready = append(ready, t)
			} else {
				blocked = append(blocked, t)
			}
		}
		if len(ready) == 0 {
			for _, t := range blocked {
				waits[taskLabel(t)] = "waiting for its dependencies"
			}
			break
		}
		results := o.runTasks(ctx, ready, parallelism)
		notOK := map[Placement]map[string]bool{}
		for i, t := range ready {
			err := results[i]
			if err == nil {
				continue
			}
			if notOK[t.p] == nil {
				notOK[t.p] = map[string]bool{}
			}
			notOK[t.p][t.name] = true // every replica must be healthy
			if msg, ok := asWait(err); ok {
				waits[taskLabel(t)] = msg
			} else {
				errs = append(errs, err)
			}
		}
		for _, t := range ready {
			if !notOK[t.p][t.name] {
				healthy[t.p][t.name] = true
			}
		}
		pending = blocked
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if len(waits) > 0 {
		return Wait("%s", waitMessage(waits))
	}
	return nil
}

// runTasks applies tasks with at most n at once and returns their errors in order.
func (o *oamActions) runTasks(ctx context.Context, tasks []placedTask, n int) []error {
	return parallel.Run(len(tasks), n, func(i int) error {
		t := tasks[i]
		_, _, err := o.env.Dispatcher.ApplyComponent(ctx, t.comp, t.p.Cluster, t.p.Namespace)
		return err
	})
}

func taskLabel(t placedTask) string {
	if key, _ := t.comp["replicaKey"].(string); key != "" {
		return fmt.Sprintf("%s (replica %s) in %s", t.name, key, t.p)
	}
	return fmt.Sprintf("%s in %s", t.name, t.p)
}

// replicate applies a replication policy (KubeVela semantics): each
// component named in `selector` (every one when it is empty) becomes one
// replica per key, rendered with context.replicaKey set to the key.
func replicate(comps []map[string]any, props map[string]any) ([]map[string]any, error) {
	keys, _ := props["keys"].([]any)
	if len(keys) == 0 {
		return nil, fmt.Errorf("replication: keys must list at least one key")
	}
	var selected map[string]bool
	if sel, ok := props["selector"].([]any); ok && len(sel) > 0 {
		selected = map[string]bool{}
		for _, s := range sel {
			selected[fmt.Sprint(s)] = true
		}
	}
	var out []map[string]any
	for _, c := range comps {
		if selected != nil && !selected[fmt.Sprint(c["name"])] {
			out = append(out, c)
			continue
		}
		for _, k := range keys {
			r := make(map[string]any, len(c)+1)
			for f, v := range c {
				r[f] = v
			}
			r["replicaKey"] = fmt.Sprint(k)
			out = append(out, r)
		}
	}
	return out, nil
}

// waitMessage lists the waiting components and why, one clause each.
func waitMessage(waits map[string]string) string {
	keys := make([]string, 0, len(waits))
	for k := range waits {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + waits[k]
	}
	return "waiting for components: " + strings.Join(parts, "; ")
}
