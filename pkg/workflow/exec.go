package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"cuelang.org/go/cue"

	"velad.io/velad/pkg/appfile"
	vcue "velad.io/velad/pkg/cue"
)

// execResult is what running a step template produced.
type execResult struct {
	ctl     control
	message string
	outputs map[string]any
	// logs are what the step's #Log actions wrote.
	logs []string
	// replayable says every action the step ran only applied or read resources.
	replayable bool
}

// exec fills the step's template with its properties (plus inputs) and the
// context, runs its actions and evaluates its outputs.
// It reads nothing of the run but its immutable inputs, so steps execute concurrently.
func (r *run) exec(ctx context.Context, s *appfile.Step, params map[string]any, resumed bool) (*execResult, error) {
	if s.Template == nil || s.Template.Source == "" {
		return r.nativeStep(s, params, resumed)
	}
	cctx := r.in.Context
	cctx.Extra = map[string]any{"stepName": s.Name, "stepSessionID": s.Name, "spanID": r.in.App + "-" + s.Name}
	for k, v := range r.in.Context.Extra {
		cctx.Extra[k] = v
	}
	ar := &actionRun{handlers: r.in.Handlers, resumed: resumed}
	actx := withStepInputs(ctx, s, params)
	for {
		res, c, err := r.round(ctx, s, params, &cctx, ar)
		if err != nil || c == nil {
			return res, err
		}
		out, herr := c.handler(actx, c.in)
		ctl, err := ar.finish(c, out, herr)
		if err != nil {
			return nil, fmt.Errorf("step %q (%s): %w", s.Name, s.Type, err)
		}
		if ctl.kind != controlNone {
			return &execResult{ctl: ctl, message: ar.message, logs: ar.logs, replayable: !ar.effects}, nil
		}
	}
}

// round evaluates the step on a CUE worker up to its next provider action
// (returned) or to its end (then the result, with outputs, is returned).
func (r *run) round(ctx context.Context, s *appfile.Step, params map[string]any, cctx *vcue.Context, ar *actionRun) (*execResult, *call, error) {
	var res *execResult
	var next *call
	err := r.e.cue.Do(ctx, func(w *vcue.Worker) error {
		v, err := w.Fill(s.Template.Source, params, cctx)
		if err != nil {
			return &parameterError{fmt.Errorf("step %q (%s): %w", s.Name, s.Type, err)}
		}
		v = ar.replay(v)
		c, ctl, err := ar.advance(v)
		if err != nil {
			return fmt.Errorf("step %q (%s): %w", s.Name, s.Type, err)
		}
		if c != nil {
			next = c
			return nil
		}
		res = &execResult{ctl: ctl, message: ar.message, logs: ar.logs, replayable: !ar.effects}
		if ctl.kind == controlNone || ctl.kind == controlBreak {
			res.outputs, err = outputs(w.Context(), v, cctx, s)
		}
		return err
	})
	return res, next, err
}

// nativeStep runs the engine built-ins that have no definition installed.
func (r *run) nativeStep(s *appfile.Step, params map[string]any, resumed bool) (*execResult, error) {
	switch s.Type {
	case "suspend":
		if resumed {
			return &execResult{}, nil
		}
		d, _ := params["duration"].(string)
		msg, _ := params["message"].(string)
		return &execResult{ctl: control{kind: controlSuspend, duration: d, message: msg}}, nil
	}
	return nil, fmt.Errorf("step %q: WorkflowStepDefinition %q has no CUE template", s.Name, s.Type)
}

// parameter is the step's properties with its inputs set at their parameterKey.
func (r *run) parameter(s *appfile.Step) (map[string]any, error) {
	params, err := normalize(s.Properties)
	if err != nil {
		return nil, err
	}
	if s.Spec == nil {
		return params, nil
	}
	for _, raw := range s.Spec.Inputs {
		in, _ := raw.(map[string]any)
		from, _ := in["from"].(string)
		key, _ := in["parameterKey"].(string)
		v, ok := r.data.Vars[from]
		if !ok {
			return nil, Wait("waiting for input %q", from)
		}
		if key != "" {
			setPath(params, key, v)
		}
	}
	return params, nil
}

// setPath sets a dotted path ("a.b.c") in m, creating maps on the way.
func setPath(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}

// outputs evaluates each `outputs[].valueFrom` expression in the scope of the
// step's final value.
func outputs(rt *cue.Context, v cue.Value, cctx *vcue.Context, s *appfile.Step) (map[string]any, error) {
	if s.Spec == nil || len(s.Spec.Outputs) == 0 {
		return nil, nil
	}
	// The whole context, not only the keys the template reads: valueFrom may name others.
	// Filled here, once outputs are declared, since every FillPath re-evaluates the step.
	v = v.FillPath(cue.ParsePath("context"), cctx.Map())
	out := map[string]any{}
	for _, raw := range s.Spec.Outputs {
		o, _ := raw.(map[string]any)
		name, _ := o["name"].(string)
		from, _ := o["valueFrom"].(string)
		// KubeVela 1.9+ providers return results under `$returns`; velad's
		// actions fill them in place, so `x.$returns.value` reads `x.value`.
		from = strings.ReplaceAll(from, ".$returns", "")
		x := rt.CompileString(from, cue.Scope(v))
		if err := x.Validate(cue.Concrete(true)); err != nil {
			return nil, fmt.Errorf("output %q: valueFrom %q: %s", name, from, firstLine(err))
		}
		var val any
		if err := x.Decode(&val); err != nil {
			return nil, fmt.Errorf("output %q: %w", name, err)
		}
		b, _ := json.Marshal(val)
		var norm any
		_ = json.Unmarshal(b, &norm)
		out[name] = norm
	}
	return out, nil
}

// stepInputsKey carries an apply-component step's inputs to the oam actions.
type stepInputsKey struct{}

// componentInputs are the inputs of an apply-component step: KubeVela sets each
// input's parameterKey in the component's properties as well.
type componentInputs struct {
	component string
	values    map[string]any // parameterKey -> value
}

func withStepInputs(ctx context.Context, s *appfile.Step, params map[string]any) context.Context {
	if s.Type != "apply-component" || s.Spec == nil || len(s.Spec.Inputs) == 0 {
		return ctx
	}
	comp, _ := params["component"].(string)
	ci := &componentInputs{component: comp, values: map[string]any{}}
	for _, raw := range s.Spec.Inputs {
		in, _ := raw.(map[string]any)
		key, _ := in["parameterKey"].(string)
		if key == "" {
			continue
		}
		if v, ok := lookupPath(params, key); ok {
			ci.values[key] = v
		}
	}
	return context.WithValue(ctx, stepInputsKey{}, ci)
}

// lookupPath reads a dotted path from m.
func lookupPath(m map[string]any, path string) (any, bool) {
	parts := strings.Split(path, ".")
	var cur any = m
	for _, p := range parts {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// parameterError is a step whose properties do not fit its definition: it
// fails at once, since retrying cannot fix it.
type parameterError struct{ err error }

func (e *parameterError) Error() string { return e.err.Error() }
func (e *parameterError) Unwrap() error { return e.err }
