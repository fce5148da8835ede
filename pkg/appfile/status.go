package appfile

import (
	"context"
	"fmt"

	"velad.io/velad/pkg/cue"
)

// TraitStatus is the evaluated status of one trait.
type TraitStatus struct {
	Type string
	cue.Status
}

// ComponentStatus is the evaluated status of a component and its traits.
type ComponentStatus struct {
	cue.Status
	Traits []TraitStatus
}

// Healthy reports whether the component and all its traits are healthy.
func (s *ComponentStatus) Healthy() bool {
	if !s.Status.Healthy {
		return false
	}
	for _, t := range s.Traits {
		if !t.Healthy {
			return false
		}
	}
	return true
}

// Status evaluates the health policies and custom status of component c and
// its traits. live is the live workload and liveOutputs the live auxiliary and
// trait objects keyed by their `outputs` name; they become context.output and
// context.outputs, next to the component's or trait's parameter.
func (af *Appfile) Status(ctx context.Context, e *cue.Engine, c *Component, opts RenderOptions, live map[string]any, liveOutputs map[string]any) (*ComponentStatus, error) {
	cctx := af.Context(c, opts)
	cctx.Output = orEmpty(live)
	cctx.Outputs = orEmpty(liveOutputs)
	st, err := e.EvalStatus(ctx, c.Template.Status, c.Properties, cctx)
	if err != nil {
		return nil, fmt.Errorf("component %q (type %s): status: %w", c.Name, c.Type, err)
	}
	out := &ComponentStatus{Status: *st}
	for _, t := range c.Traits {
		ts, err := e.EvalStatus(ctx, t.Template.Status, t.Properties, cctx)
		if err != nil {
			return nil, fmt.Errorf("trait %q on component %q: status: %w", t.Type, c.Name, err)
		}
		out.Traits = append(out.Traits, TraitStatus{Type: t.Type, Status: *ts})
	}
	return out, nil
}
