package workflow

import (
	"context"
	"fmt"

	"cuelang.org/go/cue"

	vcue "velad.io/velad/pkg/cue"
	"velad.io/velad/pkg/cue/provider"
)

// QueryHandlers returns the read-only actions of NewHandlers for env, the ones a VelaQL
// view may run: kube read and list, query collectServiceEndpoints and listResourcesInApp.
// env needs no Dispatcher.
func QueryHandlers(env *Env) Handlers {
	all, out := NewHandlers(env), Handlers{}
	for p, actions := range queryActions {
		out[p] = map[string]provider.Handler{}
		for _, a := range actions {
			h := all[p][a]
			if h == nil {
				panic(fmt.Sprintf("workflow: query action %s.%s is not one of NewHandlers", p, a))
			}
			out[p][a] = h
		}
	}
	return out
}

// queryActions are the read-only actions of NewHandlers, by provider.
var queryActions = map[string][]string{
	"kube":  {"read", "list"},
	"query": {"collectServiceEndpoints", "listResourcesInApp"},
}

// Evaluate runs template outside any workflow, as a VelaQL view runs: it fills the template
// with parameter, runs its actions in field order with h (each result filled back before
// the next), and returns the field export of the final value as plain Go data. A flow
// control action that would stop a step (wait, suspend, fail) ends the evaluation with an
// error carrying its message.
func Evaluate(ctx context.Context, e *vcue.Engine, template string, parameter map[string]any, h Handlers, export string) (any, error) {
	ar := &actionRun{handlers: h, resumed: true}
	path := cue.ParsePath(export)
	if err := path.Err(); err != nil {
		return nil, fmt.Errorf("export field %q: %w", export, err)
	}
	for {
		var next *call
		var out any
		err := e.Do(ctx, func(w *vcue.Worker) error {
			v, err := w.Fill(template, parameter, &vcue.Context{})
			if err != nil {
				return err
			}
			v = ar.replay(v)
			c, ctl, err := ar.advance(v)
			if err != nil || c != nil {
				next = c
				return err
			}
			switch ctl.kind {
			case controlWait, controlFail:
				return fmt.Errorf("the template stopped: %s", ctl.message)
			}
			ev := v.LookupPath(path)
			if !ev.Exists() {
				return fmt.Errorf("the template has no field %q to export", export)
			}
			out, err = vcue.Decode(ev, export)
			return err
		})
		if err != nil || next == nil {
			return out, err
		}
		res, herr := next.handler(ctx, next.in)
		ctl, err := ar.finish(next, res, herr)
		if err != nil {
			return nil, err
		}
		if ctl.kind != controlNone {
			return nil, fmt.Errorf("%s: %s", next.path, ctl.message)
		}
	}
}
