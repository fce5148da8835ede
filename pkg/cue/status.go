package cue

import (
	"context"
	"fmt"

	"cuelang.org/go/cue"
)

// StatusTemplates are a definition's spec.status snippets.
type StatusTemplates struct {
	// HealthPolicy yields `isHealth: bool`; empty means always healthy.
	HealthPolicy string
	// CustomStatus yields `message: string`.
	CustomStatus string
	// Details yields string-valued fields shown as status details.
	Details string
}

// Status is the evaluated health and status of one component or trait.
type Status struct {
	// Healthy is isHealth; false when the policy could not be decided yet
	// (e.g. the live object has no status).
	Healthy bool
	// Message is the custom status message, "" when none could be computed.
	Message string
	// Details are the evaluated detail fields.
	Details map[string]string
}

// EvalStatus evaluates the status snippets with parameter and c, where
// c.Output/c.Outputs hold the live objects. Fields the live objects do not
// have yet make the component unhealthy rather than failing; only broken
// templates are errors.
func (e *Engine) EvalStatus(ctx context.Context, st StatusTemplates, parameter map[string]any, c *Context) (*Status, error) {
	out := &Status{Healthy: true}
	err := e.Do(ctx, func(w *Worker) error {
		if st.HealthPolicy != "" {
			v, err := w.fillLoose(st.HealthPolicy, parameter, c)
			if err != nil {
				return fmt.Errorf("healthPolicy: %w", err)
			}
			b, berr := v.LookupPath(field("isHealth")).Bool()
			out.Healthy = berr == nil && b
		}
		if st.CustomStatus != "" {
			v, err := w.fillLoose(st.CustomStatus, parameter, c)
			if err != nil {
				return fmt.Errorf("customStatus: %w", err)
			}
			if s, serr := v.LookupPath(field("message")).String(); serr == nil {
				out.Message = s
			}
		}
		if st.Details != "" {
			v, err := w.fillLoose(st.Details, parameter, c)
			if err != nil {
				return fmt.Errorf("details: %w", err)
			}
			out.Details = details(v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// fillLoose compiles src and fills parameter and context without checking
// that required parameters are present.
func (w *Worker) fillLoose(src string, parameter map[string]any, c *Context) (cue.Value, error) {
	tc, err := w.w.compile(src)
	if err != nil {
		return cue.Value{}, err
	}
	if parameter == nil {
		parameter = map[string]any{}
	}
	if c == nil {
		c = &Context{}
	}
	return tc.fill(parameter, tc.context(c)), nil
}

func details(v cue.Value) map[string]string {
	out := map[string]string{}
	it, err := v.Fields()
	if err != nil {
		return out
	}
	for it.Next() {
		name := it.Selector().Unquoted()
		if name == "context" || name == "parameter" {
			continue
		}
		fv := it.Value()
		if d, ok := fv.Default(); ok {
			fv = d
		}
		if s, err := fv.String(); err == nil {
			out[name] = s
			continue
		}
		if fv.IsConcrete() {
			out[name] = fmt.Sprint(fv)
		}
	}
	return out
}
