package workflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"cuelang.org/go/cue"
	k8sjson "k8s.io/apimachinery/pkg/util/json"

	"velad.io/velad/pkg/cue/provider"
)

// errIncomplete marks an action whose input is not concrete yet.
var errIncomplete = errors.New("incomplete input")

// Handlers maps a provider name (#provider) and action (#do) to its Go implementation.
type Handlers map[string]map[string]provider.Handler

// builtinProvider is the provider whose actions (wait, suspend, fail, ...) steer
// the step itself; the action runner implements them.
const builtinProvider = "builtin"

var (
	doPath       = cue.MakePath(cue.Def("#do"))
	providerPath = cue.MakePath(cue.Def("#provider"))
)

// actionRun is the state of running one step's actions. A step runs in
// rounds: each round holds a CUE worker only to evaluate (the template filled
// with the results so far) up to the next provider action; the action's Go
// handler then runs without the worker, since it may do I/O or render and
// evaluate other templates itself.
type actionRun struct {
	handlers Handlers
	// resumed says a suspend in this step was already resumed (or its duration passed).
	resumed bool
	// message is the last message an action set.
	message string
	// logs are the #Log entries.
	logs []string
	done map[string]bool
	// effects says an action ran whose effect is more than applying or reading
	// resources (a request, a mail, a delete, a suspend): the step must not be
	// replayed after a crash.
	effects bool
	// results are the provider results so far, replayed into every round.
	results []actionResult
}

type actionResult struct {
	path string
	out  map[string]any
}

// call is a provider action found in a round, to run outside the worker.
type call struct {
	path    string
	handler provider.Handler
	in      map[string]any
}

// replay fills the results so far into v.
func (r *actionRun) replay(v cue.Value) cue.Value {
	for _, res := range r.results {
		if res.out != nil {
			v = fillResult(v, cue.ParsePath(res.path), res.out)
		}
	}
	return v
}

// advance runs builtin actions until it reaches a provider action (returned
// as a call), a flow-control stop, or the end. Actions run in field order,
// except that one whose input is not concrete yet waits for the others (CUE
// may order a field before the action whose result it reads).
func (r *actionRun) advance(v cue.Value) (*call, control, error) {
	if r.done == nil {
		r.done = map[string]bool{}
	}
	for {
		acts := pendingActions(v, nil, r.done, nil)
		if len(acts) == 0 {
			return nil, control{}, nil
		}
		var firstErr error
		ran, undecidedWait := false, false
		for _, a := range acts {
			c, ctl, err := r.prepare(a.path, a.value)
			if errors.Is(err, errIncomplete) {
				if firstErr == nil {
					firstErr = err
				}
				do, _ := a.value.LookupPath(doPath).String()
				undecidedWait = undecidedWait || do == "wait"
				continue
			}
			r.done[a.path.String()] = true
			if err != nil || c != nil || ctl.kind != controlNone {
				return c, ctl, err
			}
			ran = true
			break
		}
		if !ran && undecidedWait {
			// A wait whose condition reads what is not there yet keeps waiting.
			return nil, control{kind: controlWait, message: "waiting: " + firstLine(firstErr)}, nil
		}
		if !ran {
			return nil, control{}, firstErr
		}
	}
}

// finish records a provider call's outcome for the next round.
func (r *actionRun) finish(c *call, out map[string]any, err error) (control, error) {
	if msg, ok := asWait(err); ok {
		r.message = msg
		return control{kind: controlWait, message: msg}, nil
	}
	if err != nil {
		return control{}, fmt.Errorf("%s: %w", c.path, err)
	}
	r.results = append(r.results, actionResult{path: c.path, out: out})
	return control{}, nil
}

// pendingAction is an action found in a step value.
type pendingAction struct {
	path  cue.Path
	value cue.Value
}

// pendingActions lists, depth first in field order, the actions (structs with
// #do) not yet done. parameter and context are never searched.
func pendingActions(v cue.Value, at []cue.Selector, done map[string]bool, out []pendingAction) []pendingAction {
	it, err := v.Fields()
	if err != nil {
		return out
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
				out = append(out, pendingAction{path: p, value: f})
			}
			continue
		}
		out = pendingActions(f, sels, done, out)
	}
	return out
}

// prepare decodes one action: builtin actions run at once, provider actions
// are returned as a call.
func (r *actionRun) prepare(p cue.Path, act cue.Value) (*call, control, error) {
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
	r.effects = r.effects || !resourceActions[prov][do]
	h, ok := r.handlers[prov][do]
	if !ok {
		return nil, control{}, fmt.Errorf("action %s: provider %q has no action %q in velad", p, prov, do)
	}
	return &call{path: p.String(), handler: h, in: in}, control{}, nil
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
		r.effects = true
		if !r.resumed {
			d, _ := in["duration"].(string)
			return control{kind: controlSuspend, message: msg, duration: d}, nil
		}
	case "fail":
		return control{kind: controlFail, message: msg}, nil
	case "break":
		return control{kind: controlBreak, message: msg}, nil
	case "log":
		if text, ok := in["data"].(string); ok {
			r.logs = append(r.logs, text)
		} else if in["data"] != nil {
			b, _ := json.Marshal(in["data"])
			r.logs = append(r.logs, string(b))
		}
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
		return nil, fmt.Errorf("%w: %s", errIncomplete, firstLine(err))
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
// without its value field rather than poisoning the step. Results are encoded
// first, so a nil (a live object's creationTimestamp: null) is CUE null, not
// top as FillPath would make it.
func fillResult(v cue.Value, p cue.Path, out map[string]any) cue.Value {
	nv := v.FillPath(p, v.Context().Encode(out))
	if nv.LookupPath(p).Validate() == nil {
		return nv
	}
	rest := map[string]any{}
	for k, x := range out {
		if k != "value" {
			rest[k] = x
		}
	}
	return v.FillPath(p, v.Context().Encode(rest))
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i > 0 {
		return s[:i]
	}
	return s
}

// resourceActions are the provider actions that only apply, render or read
// resources: running them again with the same inputs changes nothing, so a step
// made of them alone may be replayed after a crash (see Instance.FinalWrite).
var resourceActions = map[string]map[string]bool{
	"kube": {"apply": true, "apply-in-parallel": true, "read": true, "list": true},
	"oam": {"load": true, "load-comps-in-order": true, "component-apply": true, "component-render": true,
		"apply-application": true, "apply-application-in-parallel": true, "apply-remaining": true},
	"multicluster": {"deploy": true, "list-clusters": true},
	"query":        {"collectServiceEndpoints": true, "listResourcesInApp": true},
}
