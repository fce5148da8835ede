package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"cuelang.org/go/cue"
	k8sjson "k8s.io/apimachinery/pkg/util/json"

	"velad.io/velad/pkg/cue/provider"
)

// Handlers maps a provider name (#provider) and action (#do) to its Go implementation.
type Handlers map[string]map[string]provider.Handler

// builtinProvider is the provider whose actions (wait, suspend, fail, ...) steer
// the step itself; the action runner implements them.
const builtinProvider = "builtin"

var (
	doPath       = cue.MakePath(cue.Def("#do"))
	providerPath = cue.MakePath(cue.Def("#provider"))
)

// actionRun is the state of running one step's actions.
type actionRun struct {
	handlers Handlers
	// resumed says a suspend in this step was already resumed (or its duration passed).
	resumed bool
	// message is the last message an action set.
	message string
	// logs are the #Log entries.
	logs []string
	done map[string]bool
}

// run executes every action in v, in field order, filling each result back
// into v before looking for the next action, so later fields (and `if`
// comprehensions) see earlier results. It stops early at a wait, suspend, fail
// or break.
func (r *actionRun) run(ctx context.Context, v cue.Value) (cue.Value, control, error) {
	if r.done == nil {
		r.done = map[string]bool{}
	}
	for {
		p, act, ok := nextAction(v, nil, r.done)
		if !ok {
			return v, control{}, nil
		}
		r.done[p.String()] = true
		out, ctl, err := r.exec(ctx, p, act)
		if err != nil {
			return v, control{}, err
		}
		if out != nil {
			v = fillResult(v, p, out)
		}
		if ctl.kind != controlNone {
			return v, ctl, nil
		}
	}
}

// nextAction finds, depth first in field order, the first action (a struct with
// #do) not yet done. parameter and context are never searched.
func nextAction(v cue.Value, at []cue.Selector, done map[string]bool) (cue.Path, cue.Value, bool) {
	it, err := v.Fields()
	if err != nil {
		return cue.Path{}, cue.Value{}, false
	}
	for it.Next() {
		sel := it.Selector()
		if len(at) == 0 && (sel.String() == "parameter" || sel.String() == "context") {
			continue
		}
		f := it.Value()
		if f.IncompleteKind() != cue.StructKind {
			continue
		}
		sels := append(append([]cue.Selector{}, at...), sel)
		p := cue.MakePath(sels...)
		if f.LookupPath(doPath).Exists() {
			if !done[p.String()] {
				return p, f, true
			}
			continue
		}
		if q, a, ok := nextAction(f, sels, done); ok {
			return q, a, true
		}
	}
	return cue.Path{}, cue.Value{}, false
}

// exec runs one action and returns what to fill back into it.
func (r *actionRun) exec(ctx context.Context, p cue.Path, act cue.Value) (map[string]any, control, error) {
	do, err := act.LookupPath(doPath).String()
	if err != nil {
		return nil, control{}, fmt.Errorf("action %s: #do: %w", p, err)
	}
	prov, _ := act.LookupPath(providerPath).String()
	in, err := decodeAction(act)
	if err != nil {
		return nil, control{}, fmt.Errorf("action %s (%s): %w", p, do, err)
	}
	if prov == builtinProvider || prov == "" {
		ctl, err := r.builtin(do, in)
		return nil, ctl, err
	}
	h, ok := r.handlers[prov][do]
	if !ok {
		return nil, control{}, fmt.Errorf("action %s: provider %q has no action %q in velad", p, prov, do)
	}
	out, err := h(ctx, in)
	if msg, ok := asWait(err); ok {
		r.message = msg
		return out, control{kind: controlWait, message: msg}, nil
	}
	if err != nil {
		return nil, control{}, fmt.Errorf("%s: %w", p, err)
	}
	return out, control{}, nil
}

// builtin runs the flow-control actions of vela/builtin.
func (r *actionRun) builtin(do string, in map[string]any) (control, error) {
	msg, _ := in["message"].(string)
	if msg != "" {
		r.message = msg
	}
	switch do {
	case "wait":
		if c, _ := in["continue"].(bool); !c {
			return control{kind: controlWait, message: msg}, nil
		}
	case "suspend":
		if !r.resumed {
			d, _ := in["duration"].(string)
			return control{kind: controlSuspend, message: msg, duration: d}, nil
		}
	case "fail":
		return control{kind: controlFail, message: msg}, nil
	case "break":
		return control{kind: controlBreak, message: msg}, nil
	case "log":
		b, _ := json.Marshal(in["data"])
		r.logs = append(r.logs, string(b))
	case "message", "var":
	default:
		return control{}, fmt.Errorf("unknown builtin action %q", do)
	}
	return control{}, nil
}

// decodeAction decodes an action's concrete fields; numbers come out as int64
// or float64 as in Kubernetes' JSON.
func decodeAction(v cue.Value) (map[string]any, error) {
	var raw any
	if err := v.Decode(&raw); err != nil {
		return nil, fmt.Errorf("incomplete input: %s", firstLine(err))
	}
	return normalize(raw)
}

// normalize round-trips x through JSON so maps hold only JSON types with int64.
func normalize(x any) (map[string]any, error) {
	b, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	if err := k8sjson.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// fillResult unifies out into the action at p. A result that conflicts with
// what the template declared (a live object the server normalised) is filled
// without its value field rather than poisoning the step.
func fillResult(v cue.Value, p cue.Path, out map[string]any) cue.Value {
	nv := v.FillPath(p, out)
	if nv.LookupPath(p).Validate() == nil {
		return nv
	}
	rest := map[string]any{}
	for k, x := range out {
		if k != "value" {
			rest[k] = x
		}
	}
	return v.FillPath(p, rest)
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i > 0 {
		return s[:i]
	}
	return s
}
