package appfile

import (
	"context"
	"fmt"

	"velad.io/velad/pkg/cue"
)

// Template is a Definition ready for the CUE engine: its template source, its
// status snippets and the workload facts the renderer needs.
type Template struct {
	// Def is the definition the template came from.
	Def *Definition
	// Source is the CUE template ("" when the definition has none).
	Source string
	// Status holds the health and status snippets.
	Status cue.StatusTemplates
}

// NewTemplate wraps a Definition.
func NewTemplate(d *Definition) *Template {
	return &Template{Def: d, Source: d.Template, Status: d.Status}
}

// Name returns the definition name.
func (t *Template) Name() string { return t.Def.Name }

// Vet compiles the template (and its status snippets) with e, reporting
// syntax, import and static errors with the definition's kind and name.
func (t *Template) Vet(ctx context.Context, e *cue.Engine) error {
	what := fmt.Sprintf("%s %q", t.Def.Kind, t.Def.Name)
	if t.Source == "" {
		if t.Def.Kind == KindComponent && t.Def.Workload.Kind != "" {
			return nil
		}
		return fmt.Errorf("%s: no spec.schematic.cue.template", what)
	}
	if err := e.Validate(ctx, t.Source); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	for name, src := range map[string]string{"healthPolicy": t.Status.HealthPolicy, "customStatus": t.Status.CustomStatus, "details": t.Status.Details} {
		if src == "" {
			continue
		}
		if err := e.Validate(ctx, src); err != nil {
			return fmt.Errorf("%s: status.%s: %w", what, name, err)
		}
	}
	return nil
}

// workloadTypes are the names a trait's appliesToWorkloads may use for this
// component's workload: the component type, the workload type
// ("deployments.apps"), "apps/v1.Deployment" and the bare kind.
func (t *Template) workloadTypes(obj map[string]any) []string {
	names := []string{t.Def.Name}
	if t.Def.Workload.Type != "" {
		names = append(names, t.Def.Workload.Type)
	}
	apiVersion, kind := t.Def.Workload.APIVersion, t.Def.Workload.Kind
	if obj != nil {
		if v, ok := obj["apiVersion"].(string); ok {
			apiVersion = v
		}
		if v, ok := obj["kind"].(string); ok {
			kind = v
		}
	}
	if kind != "" {
		names = append(names, kind, apiVersion+"."+kind, resourceName(apiVersion, kind))
	}
	return names
}

// resourceName guesses "deployments.apps" from apps/v1 Deployment.
func resourceName(apiVersion, kind string) string {
	plural := lower(kind) + "s"
	if len(kind) > 0 && (kind[len(kind)-1] == 's' || kind[len(kind)-1] == 'x') {
		plural = lower(kind) + "es"
	} else if len(kind) > 1 && kind[len(kind)-1] == 'y' {
		plural = lower(kind[:len(kind)-1]) + "ies"
	}
	group := ""
	for i := 0; i < len(apiVersion); i++ {
		if apiVersion[i] == '/' {
			group = apiVersion[:i]
		}
	}
	if group == "" {
		return plural
	}
	return plural + "." + group
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
