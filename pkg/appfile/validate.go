package appfile

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"velad.io/velad/pkg/cue"
)

// validateApplication checks names and references before any definition is loaded.
func validateApplication(app *Application) error {
	var errs []string
	seen := map[string]bool{}
	for _, c := range app.Spec.Components {
		switch {
		case c.Name == "":
			errs = append(errs, "a component has no name")
		case seen[c.Name]:
			errs = append(errs, fmt.Sprintf("component name %q is used twice", c.Name))
		default:
			for _, msg := range validation.IsDNS1123Subdomain(c.Name) {
				errs = append(errs, fmt.Sprintf("component name %q: %s", c.Name, msg))
			}
		}
		seen[c.Name] = true
		if c.Type == "" {
			errs = append(errs, fmt.Sprintf("component %q has no type", c.Name))
		}
		for i, t := range c.Traits {
			if t.Type == "" {
				errs = append(errs, fmt.Sprintf("component %q: traits[%d] has no type", c.Name, i))
			}
		}
	}
	for _, c := range app.Spec.Components {
		for _, d := range c.DependsOn {
			if !seen[d] {
				errs = append(errs, fmt.Sprintf("component %q dependsOn %q, which is not a component of this application", c.Name, d))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("application %q: %s", app.Name, strings.Join(errs, "; "))
	}
	return nil
}

// validateTraits enforces conflictsWith between the traits of each component.
// appliesToWorkloads is checked at render time, against the rendered workload.
func validateTraits(af *Appfile) error {
	for _, c := range af.Components {
		types := map[string]bool{}
		for _, t := range c.Traits {
			types[t.Type] = true
		}
		for _, t := range c.Traits {
			for _, other := range t.Template.Def.ConflictsWith {
				if other != t.Type && types[other] {
					return fmt.Errorf("trait %q on component %q conflicts with trait %q (see the TraitDefinition's conflictsWith)", t.Type, c.Name, other)
				}
			}
		}
	}
	return nil
}

// checkApplies reports a trait whose appliesToWorkloads excludes the workload.
func checkApplies(c *Component, t *Trait, workload map[string]any) error {
	allowed := t.Template.Def.AppliesToWorkloads
	if len(allowed) == 0 {
		return nil
	}
	names := c.Template.workloadTypes(workload)
	for _, a := range allowed {
		if a == "*" {
			return nil
		}
		for _, n := range names {
			if strings.EqualFold(a, n) {
				return nil
			}
		}
	}
	return fmt.Errorf("trait %q does not apply to component %q of type %q (it applies to %s)",
		t.Type, c.Name, c.Type, strings.Join(allowed, ", "))
}

// Vet compiles every template the Appfile uses — components, traits,
// policies, workflow steps and their status snippets — without rendering.
func (af *Appfile) Vet(ctx context.Context, e *cue.Engine) error {
	seen := map[*Template]bool{}
	var errs []error
	vet := func(t *Template) {
		if t == nil || seen[t] {
			return
		}
		seen[t] = true
		if err := t.Vet(ctx, e); err != nil {
			errs = append(errs, err)
		}
	}
	for _, c := range af.Components {
		vet(c.Template)
		for _, t := range c.Traits {
			vet(t.Template)
		}
	}
	for _, p := range af.Policies {
		vet(p.Template)
	}
	var steps func([]*Step)
	steps = func(ss []*Step) {
		for _, s := range ss {
			vet(s.Template)
			steps(s.SubSteps)
		}
	}
	steps(af.WorkflowSteps)
	return errors.Join(errs...)
}
