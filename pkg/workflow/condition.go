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

// condition decides whether a step runs. Without `if` it runs unless a step
// it depends on failed; `if: always` always runs; otherwise `if` is a CUE
// boolean over status.<step> (phase, message, reason, succeeded, failed,
// skipped, timeout), inputs.<name> and context.
func (r *run) condition(ctx context.Context, s *appfile.Step, depFailed bool) (bool, string, error) {
	expr := ""
	if s.Spec != nil {
		expr = strings.TrimSpace(s.Spec.If)
	}
	switch expr {
	case "":
		if depFailed {
			return false, skippedByFailure, nil
		}
		return true, "", nil
	case "always":
		return true, "", nil
	}
	var src strings.Builder
	for _, f := range []struct {
		name string
		v    any
	}{{"status", r.stepFacts()}, {"inputs", r.inputs(s)}, {"context", r.in.Context.Map()}} {
		b, err := json.Marshal(f.v)
		if err != nil {
			return false, "", err
		}
		fmt.Fprintf(&src, "%s: %s\n", f.name, b)
	}
	src.WriteString("velad_if: " + expr + "\n")
	var ok bool
	err := r.e.cue.Do(ctx, func(w *vcue.Worker) error {
		v := w.Context().CompileString(src.String())
		b, err := v.LookupPath(cue.ParsePath("velad_if")).Bool()
		if err != nil {
			return fmt.Errorf("evaluating if %q: %s", expr, firstLine(err))
		}
		ok = b
		return nil
	})
	if err != nil {
		return false, "", err
	}
	return ok, fmt.Sprintf("skipped: if %q is false", expr), nil
}

// stepFacts is `status` for if expressions: every step and sub-step by name.
func (r *run) stepFacts() map[string]any {
	out := map[string]any{}
	add := func(name, phase, reason, msg string) {
		out[name] = map[string]any{
			"phase": phase, "reason": reason, "message": msg,
			"succeeded": phase == "succeeded", "failed": phase == "failed",
			"skipped": phase == "skipped", "timeout": reason == ReasonTimeout,
		}
	}
	for _, s := range r.in.Status.Steps {
		add(s.Name, string(s.Phase), s.Reason, s.Message)
		for _, sub := range s.SubStepsStatus {
			add(sub.Name, string(sub.Phase), sub.Reason, sub.Message)
		}
	}
	return out
}

// inputs are the step's inputs by `from` name, as far as they exist yet.
func (r *run) inputs(s *appfile.Step) map[string]any {
	out := map[string]any{}
	if s.Spec == nil {
		return out
	}
	for _, raw := range s.Spec.Inputs {
		in, _ := raw.(map[string]any)
		from, _ := in["from"].(string)
		if v, ok := r.data.Vars[from]; ok {
			out[from] = v
		}
	}
	return out
}
