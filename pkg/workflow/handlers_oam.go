package workflow

import (
	"context"
	"fmt"
	"strings"
)

// oamActions implement vela/oam (and local deploy) through the Dispatcher.
type oamActions struct{ env *Env }

func (o *oamActions) load(ctx context.Context, in map[string]any) (map[string]any, error) {
	only, _ := in["component"].(string)
	byName := map[string]any{}
	ci, _ := ctx.Value(stepInputsKey{}).(*componentInputs)
	for _, c := range o.env.Dispatcher.Components() {
		name, _ := c["name"].(string)
		if only != "" && only != name {
			continue
		}
		if ci != nil && ci.component == name && len(ci.values) > 0 {
			c = withInputs(c, ci.values)
		}
		byName[name] = c
	}
	return map[string]any{"value": byName}, nil
}

// withInputs returns a copy of component c with the values set in its properties.
func withInputs(c map[string]any, values map[string]any) map[string]any {
	props, _ := normalize(c["properties"])
	if props == nil {
		props = map[string]any{}
	}
	for k, v := range values {
		setPath(props, k, v)
	}
	out := map[string]any{}
	for k, v := range c {
		out[k] = v
	}
	out["properties"] = props
	return out
}

func (o *oamActions) loadInOrder(_ context.Context, _ map[string]any) (map[string]any, error) {
	comps := o.env.Dispatcher.Components()
	list := make([]any, len(comps))
	for i, c := range comps {
		list[i] = c
	}
	return map[string]any{"value": list}, nil
}

func (o *oamActions) applyComponent(ctx context.Context, in map[string]any) (map[string]any, error) {
	comp, ok := in["value"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("value must be a component")
	}
	cluster, _ := in["cluster"].(string)
	ns, _ := in["namespace"].(string)
	return componentResult(o.env.Dispatcher.ApplyComponent(ctx, comp, cluster, ns))
}

// componentResult is the result of #ApplyComponent and #RenderComponent: the workload as
// output and the auxiliary and trait objects as outputs, those there are.
func componentResult(out, outs map[string]any, err error) (map[string]any, error) {
	res := map[string]any{}
	if out != nil {
		res["output"] = out
	}
	if outs != nil {
		res["outputs"] = outs
	}
	return res, err
}

// renderComponent serves #RenderComponent when the Dispatcher can render.
func (o *oamActions) renderComponent(ctx context.Context, in map[string]any) (map[string]any, error) {
	comp, ok := in["value"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("value must be a component")
	}
	r, ok := o.env.Dispatcher.(Renderer)
	if !ok {
		return nil, fmt.Errorf("#RenderComponent is not supported here")
	}
	return componentResult(r.RenderComponent(ctx, comp))
}

// applyAll applies every component (except `exceptions`) in dependency
// order and waits until all are healthy; it serves the apply-application family.
func (o *oamActions) applyAll(ctx context.Context, in map[string]any) (map[string]any, error) {
	except := map[string]bool{}
	if ex, ok := in["exceptions"].([]any); ok {
		for _, e := range ex {
			except[fmt.Sprint(e)] = true
		}
	}
	return nil, o.applyComponents(ctx, except)
}

// applyComponents applies each component but the excepted ones whose
// dependsOn are healthy, in order, and waits until all are healthy.
func (o *oamActions) applyComponents(ctx context.Context, except map[string]bool) error {
	comps := o.env.Dispatcher.Components()
	healthy := map[string]bool{}
	for name := range except {
		healthy[name] = true
	}
	var waiting []string
	for _, c := range comps {
		name, _ := c["name"].(string)
		if except[name] {
			continue
		}
		if !depsHealthy(c, healthy) {
			waiting = append(waiting, name)
			continue
		}
		_, _, err := o.env.Dispatcher.ApplyComponent(ctx, c, "", "")
		if _, ok := asWait(err); ok {
			waiting = append(waiting, name)
			continue
		}
		if err != nil {
			return err
		}
		healthy[name] = true
	}
	if len(waiting) > 0 {
		return Wait("waiting for components to be healthy: %s", strings.Join(waiting, ", "))
	}
	return nil
}

func depsHealthy(c map[string]any, healthy map[string]bool) bool {
	deps, _ := c["dependsOn"].([]any)
	for _, d := range deps {
		if !healthy[fmt.Sprint(d)] {
			return false
		}
	}
	return true
}
