package application

import (
	"bytes"
	"context"
	"fmt"

	"github.com/pmezard/go-difflib/difflib"
	"sigs.k8s.io/yaml"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/appfile"
	"velad.io/velad/pkg/cue"
)

// DiffSide is one side of `vela live-diff`: an Application's spec and the
// definitions it renders with.
type DiffSide struct {
	// Name labels the side in the diff (a revision name, a file name).
	Name string
	// App is the Application to render.
	App *appfile.Application
	// Loader supplies its definitions.
	Loader appfile.Loader
}

// AppSide is the side of app's current spec, rendered with loader's definitions.
func AppSide(name string, app *v1beta1.Application, loader appfile.Loader) (DiffSide, error) {
	a, err := appfile.ApplicationFrom(app)
	if err != nil {
		return DiffSide{}, err
	}
	return DiffSide{Name: name, App: a, Loader: loader}, nil
}

// RevisionSide is the side of an ApplicationRevision: its snapshot of the
// spec, rendered with the definitions it recorded (fallback for any it lacks).
func RevisionSide(rev *v1beta1.ApplicationRevision, fallback appfile.Loader) (DiffSide, error) {
	f := &rev.Spec.ApplicationRevisionCompressibleFields
	var defs []*appfile.Definition
	add := func(kind string, obj any) error {
		d, err := appfile.DefinitionFromObject(obj)
		if err != nil {
			return fmt.Errorf("revision %s: %s: %w", rev.Name, kind, err)
		}
		defs = append(defs, d)
		return nil
	}
	for _, d := range f.ComponentDefinitions {
		d.Kind, d.APIVersion = v1beta1.ComponentDefinitionKind, v1beta1.GroupVersion.String()
		if err := add(d.Kind, d); err != nil {
			return DiffSide{}, err
		}
	}
	for _, d := range f.TraitDefinitions {
		d.Kind, d.APIVersion = v1beta1.TraitDefinitionKind, v1beta1.GroupVersion.String()
		if err := add(d.Kind, d); err != nil {
			return DiffSide{}, err
		}
	}
	for _, d := range f.PolicyDefinitions {
		d.Kind, d.APIVersion = v1beta1.PolicyDefinitionKind, v1beta1.GroupVersion.String()
		if err := add(d.Kind, &d); err != nil {
			return DiffSide{}, err
		}
	}
	for _, d := range f.WorkflowStepDefinitions {
		d.Kind, d.APIVersion = v1beta1.WorkflowStepDefinitionKind, v1beta1.GroupVersion.String()
		if err := add(d.Kind, d); err != nil {
			return DiffSide{}, err
		}
	}
	app := f.Application.DeepCopy()
	if app.Namespace == "" {
		app.Namespace = rev.Namespace
	}
	side, err := AppSide(rev.Name, app, appfile.Chain{appfile.NewSet(defs...), fallback})
	if err != nil {
		return DiffSide{}, err
	}
	return side, nil
}

// Render is the side as `vela dry-run` prints it: the Application's spec,
// then the objects of each component and policy.
func (s DiffSide) Render(ctx context.Context, e *cue.Engine) (string, error) {
	var b bytes.Buffer
	spec, err := yaml.Marshal(map[string]any{"spec": s.App.Spec})
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "---\n# Application(%s)\n---\n\n%s\n", s.App.Name, spec)
	af, err := appfile.NewParser(s.Loader).Parse(ctx, s.App)
	if err != nil {
		return "", fmt.Errorf("%s: %w", s.Name, err)
	}
	ms, err := af.Render(ctx, e, appfile.RenderOptions{})
	if err != nil {
		return "", fmt.Errorf("%s: %w", s.Name, err)
	}
	ps, err := af.RenderPolicies(ctx, e, appfile.RenderOptions{})
	if err != nil {
		return "", fmt.Errorf("%s: %w", s.Name, err)
	}
	if err := appfile.WriteManifests(&b, s.App.Name, ms); err != nil {
		return "", err
	}
	if err := appfile.WritePolicyManifests(&b, s.App.Name, ps); err != nil {
		return "", err
	}
	return b.String(), nil
}

// LiveDiff renders both sides and returns their unified diff with context
// lines around each change (negative: the whole text); "" when they render
// the same.
func LiveDiff(ctx context.Context, e *cue.Engine, from, to DiffSide, context int) (string, error) {
	a, err := from.Render(ctx, e)
	if err != nil {
		return "", err
	}
	b, err := to.Render(ctx, e)
	if err != nil {
		return "", err
	}
	if a == b {
		return "", nil
	}
	lines := difflib.SplitLines
	n := context
	if n < 0 {
		n = len(lines(a)) + len(lines(b))
	}
	return difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: lines(a), B: lines(b), FromFile: from.Name, ToFile: to.Name, Context: n,
	})
}
