package workflow

import (
	"context"
	"fmt"
)

// deploy implements multicluster #Deploy on the local cluster: override
// policies patch the components, a topology policy may move them to another
// namespace; then every component is applied in dependency order.
// Topologies naming other clusters are refused until multi-cluster exists.
func (o *oamActions) deploy(ctx context.Context, in map[string]any) (map[string]any, error) {
	comps := o.env.Dispatcher.Components()
	var policies []map[string]any
	names, _ := in["policies"].([]any)
	for _, n := range names {
		typ, props, ok := o.env.Dispatcher.Policy(fmt.Sprint(n))
		if !ok {
			return nil, fmt.Errorf("deploy: policy %q is not declared in the application", n)
		}
		policies = append(policies, map[string]any{"type": typ, "properties": props})
	}
	if inline, ok := in["inlinePolicies"].([]any); ok {
		for _, p := range inline {
			if m, ok := p.(map[string]any); ok {
				policies = append(policies, m)
			}
		}
	}
	namespace := ""
	for _, p := range policies {
		props, _ := p["properties"].(map[string]any)
		var err error
		switch p["type"] {
		case "override":
			comps = override(comps, props)
		case "topology":
			namespace, err = localTopology(props)
		}
		if err != nil {
			return nil, err
		}
	}
	return nil, o.applyComponents(ctx, comps, namespace, nil)
}

// localTopology returns a topology's namespace, refusing remote clusters.
func localTopology(props map[string]any) (string, error) {
	clusters, _ := props["clusters"].([]any)
	for _, c := range clusters {
		if s := fmt.Sprint(c); s != "local" {
			return "", fmt.Errorf("deploy: topology selects cluster %q; velad delivers to the local cluster only", s)
		}
	}
	for _, key := range []string{"clusterLabelSelector", "clusterSelector"} {
		if sel, ok := props[key].(map[string]any); ok && len(sel) > 0 {
			return "", fmt.Errorf("deploy: topology %s is not supported; velad delivers to the local cluster only", key)
		}
	}
	ns, _ := props["namespace"].(string)
	return ns, nil
}

// override applies an override policy (KubeVela semantics): for each entry
// matching a component by name and type (empty matches all), properties are
// JSON-merge-patched and traits merged by type (disable: true removes one);
// selector keeps only the named components.
func override(comps []map[string]any, props map[string]any) []map[string]any {
	entries, _ := props["components"].([]any)
	var selected map[string]bool
	if sel, ok := props["selector"].([]any); ok {
		selected = map[string]bool{}
		for _, s := range sel {
			selected[fmt.Sprint(s)] = true
		}
	}
	var out []map[string]any
	for _, c := range comps {
		if selected != nil && !selected[fmt.Sprint(c["name"])] {
			continue
		}
		c, _ = normalize(c)
		for _, e := range entries {
			if m, ok := e.(map[string]any); ok && matches(c, m) {
				patchComponent(c, m)
			}
		}
		out = append(out, c)
	}
	return out
}

func matches(c, entry map[string]any) bool {
	for _, key := range []string{"name", "type"} {
		if want, _ := entry[key].(string); want != "" && want != c[key] {
			return false
		}
	}
	return true
}

func patchComponent(c, entry map[string]any) {
	if p, ok := entry["properties"].(map[string]any); ok {
		base, _ := c["properties"].(map[string]any)
		c["properties"] = mergePatch(base, p)
	}
	ots, _ := entry["traits"].([]any)
	traits, _ := c["traits"].([]any)
	for _, x := range ots {
		ot, _ := x.(map[string]any)
		disable, _ := ot["disable"].(bool)
		idx := -1
		for i, t := range traits {
			if tm, _ := t.(map[string]any); tm["type"] == ot["type"] {
				idx = i
			}
		}
		switch {
		case idx >= 0 && disable:
			traits = append(traits[:idx], traits[idx+1:]...)
		case idx >= 0:
			tm := traits[idx].(map[string]any)
			base, _ := tm["properties"].(map[string]any)
			patch, _ := ot["properties"].(map[string]any)
			tm["properties"] = mergePatch(base, patch)
		case !disable:
			traits = append(traits, map[string]any{"type": ot["type"], "properties": ot["properties"]})
		}
	}
	c["traits"] = traits
}

// mergePatch is RFC 7386 JSON merge patch on decoded objects.
func mergePatch(base, patch map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range patch {
		switch pv := v.(type) {
		case nil:
			delete(out, k)
		case map[string]any:
			bv, _ := out[k].(map[string]any)
			out[k] = mergePatch(bv, pv)
		default:
			out[k] = v
		}
	}
	return out
}
