package appfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sjson "k8s.io/apimachinery/pkg/util/json"
)

// Application is the subset of core.oam.dev/v1beta1 Application the renderer
// reads, with KubeVela's JSON field names. Convert a typed Application (or any
// object with the same JSON) with ApplicationFrom.
type Application struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              ApplicationSpec `json:"spec"`
}

// ApplicationSpec is an Application's spec.
type ApplicationSpec struct {
	Components []ApplicationComponent `json:"components"`
	Policies   []AppPolicy            `json:"policies,omitempty"`
	Workflow   *Workflow              `json:"workflow,omitempty"`
}

// ApplicationComponent is one entry of spec.components.
type ApplicationComponent struct {
	Name       string             `json:"name"`
	Type       string             `json:"type"`
	Properties map[string]any     `json:"properties,omitempty"`
	Traits     []ApplicationTrait `json:"traits,omitempty"`
	DependsOn  []string           `json:"dependsOn,omitempty"`
	Inputs     []any              `json:"inputs,omitempty"`
	Outputs    []any              `json:"outputs,omitempty"`
}

// ApplicationTrait is one trait of a component.
type ApplicationTrait struct {
	Type       string         `json:"type"`
	Properties map[string]any `json:"properties,omitempty"`
}

// AppPolicy is one entry of spec.policies.
type AppPolicy struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Properties map[string]any `json:"properties,omitempty"`
}

// Workflow is spec.workflow.
type Workflow struct {
	Mode  map[string]any `json:"mode,omitempty"`
	Steps []WorkflowStep `json:"steps,omitempty"`
}

// WorkflowStep is one step (or sub-step) of a workflow.
type WorkflowStep struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Properties map[string]any `json:"properties,omitempty"`
	SubSteps   []WorkflowStep `json:"subSteps,omitempty"`
	DependsOn  []string       `json:"dependsOn,omitempty"`
	If         string         `json:"if,omitempty"`
	Timeout    string         `json:"timeout,omitempty"`
	Inputs     []any          `json:"inputs,omitempty"`
	Outputs    []any          `json:"outputs,omitempty"`
}

// PublishVersionAnnotation is the app.oam.dev/publishVersion annotation.
const PublishVersionAnnotation = "app.oam.dev/publishVersion"

// ApplicationFrom converts any value with Application's JSON shape (a typed
// v1beta1.Application, an unstructured object's map) into an *Application.
func ApplicationFrom(obj any) (*Application, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encoding application: %w", err)
	}
	return decodeApplication(b)
}

// ParseApplicationYAML reads the first Application in a YAML or JSON stream.
func ParseApplicationYAML(data []byte) (*Application, error) {
	objs, err := DecodeObjects(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	for _, o := range objs {
		if o.GetKind() == "Application" {
			return ApplicationFrom(o.Object)
		}
	}
	return nil, fmt.Errorf("no Application found (expected kind: Application)")
}

func decodeApplication(b []byte) (*Application, error) {
	var app Application
	// k8s' json keeps whole numbers as int64, which CUE needs for `int` fields.
	if err := k8sjson.Unmarshal(b, &app); err != nil {
		return nil, fmt.Errorf("decoding application: %w", err)
	}
	if app.Name == "" {
		return nil, fmt.Errorf("application has no metadata.name")
	}
	return &app, nil
}

// ParseError lists every problem found while resolving an Application's types.
type ParseError struct {
	App  string
	Errs []error
}

// Error joins the problems: `application "a": component "x": ComponentDefinition "foo" not found ...`.
func (e *ParseError) Error() string {
	msgs := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		msgs[i] = err.Error()
	}
	return fmt.Sprintf("application %q: %s", e.App, strings.Join(msgs, "; "))
}

// Unwrap exposes the individual errors to errors.Is/As.
func (e *ParseError) Unwrap() []error { return e.Errs }

// OnlyNotFound reports whether every problem is a missing definition.
func (e *ParseError) OnlyNotFound() bool {
	for _, err := range e.Errs {
		if !allNotFound(err) {
			return false
		}
	}
	return len(e.Errs) > 0
}

// allNotFound reports whether err, or every error it joins, is a NotFoundError.
func allNotFound(err error) bool {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			if !allNotFound(e) {
				return false
			}
		}
		return true
	}
	return IsNotFound(err)
}

// Parser resolves an Application's types through a Loader (STYLE.md P12).
type Parser struct {
	loader Loader
}

// NewParser returns a Parser that loads definitions with l.
func NewParser(l Loader) *Parser { return &Parser{loader: l} }

// builtinSteps are workflow step types the workflow engine runs without a definition.
var builtinSteps = map[string]bool{"suspend": true, "step-group": true}

// Parse validates app and loads every definition it uses. All missing
// definitions and validation problems are reported together.
func (p *Parser) Parse(ctx context.Context, app *Application) (*Appfile, error) {
	if err := validateApplication(app); err != nil {
		return nil, err
	}
	af := &Appfile{App: app, Namespace: app.Namespace}
	var errs []error
	for i := range app.Spec.Components {
		c, err := p.parseComponent(ctx, app, &app.Spec.Components[i])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		af.Components = append(af.Components, c)
	}
	for i := range app.Spec.Policies {
		pol := &app.Spec.Policies[i]
		def, err := p.load(ctx, KindPolicy, pol.Type, app.Namespace)
		if err != nil {
			errs = append(errs, fmt.Errorf("policy %q: %w", pol.Name, err))
			continue
		}
		af.Policies = append(af.Policies, &Policy{Name: pol.Name, Type: pol.Type, Properties: pol.Properties, Template: NewTemplate(def)})
	}
	if app.Spec.Workflow != nil {
		steps, stepErrs := p.parseSteps(ctx, app.Namespace, app.Spec.Workflow.Steps)
		af.WorkflowSteps = steps
		errs = append(errs, stepErrs...)
	}
	if len(errs) > 0 {
		return nil, &ParseError{App: app.Name, Errs: errs}
	}
	if err := validateTraits(af); err != nil {
		return nil, fmt.Errorf("application %q: %w", app.Name, err)
	}
	return af, nil
}

func (p *Parser) parseComponent(ctx context.Context, app *Application, ac *ApplicationComponent) (*Component, error) {
	def, err := p.load(ctx, KindComponent, ac.Type, app.Namespace)
	if err != nil {
		return nil, fmt.Errorf("component %q: %w", ac.Name, err)
	}
	c := &Component{Name: ac.Name, Type: ac.Type, Properties: ac.Properties, DependsOn: ac.DependsOn, Template: NewTemplate(def)}
	var errs []error
	for _, at := range ac.Traits {
		tdef, err := p.load(ctx, KindTrait, at.Type, app.Namespace)
		if err != nil {
			errs = append(errs, fmt.Errorf("trait %q on component %q: %w", at.Type, ac.Name, err))
			continue
		}
		c.Traits = append(c.Traits, &Trait{Type: at.Type, Properties: at.Properties, Template: NewTemplate(tdef)})
	}
	return c, errors.Join(errs...)
}

func (p *Parser) parseSteps(ctx context.Context, ns string, in []WorkflowStep) ([]*Step, []error) {
	var steps []*Step
	var errs []error
	for i := range in {
		ws := &in[i]
		st := &Step{Name: ws.Name, Type: ws.Type, Properties: ws.Properties, Spec: ws}
		def, err := p.load(ctx, KindWorkflowStep, ws.Type, ns)
		switch {
		case err == nil:
			st.Template = NewTemplate(def)
		case IsNotFound(err) && builtinSteps[ws.Type]:
		default:
			errs = append(errs, fmt.Errorf("workflow step %q: %w", ws.Name, err))
		}
		sub, subErrs := p.parseSteps(ctx, ns, ws.SubSteps)
		st.SubSteps = sub
		errs = append(errs, subErrs...)
		steps = append(steps, st)
	}
	return steps, errs
}

// load resolves a type name, ignoring a definition-revision suffix ("webservice@v1").
func (p *Parser) load(ctx context.Context, kind, typ, ns string) (*Definition, error) {
	if typ == "" {
		return nil, fmt.Errorf("no type given")
	}
	name, _, _ := strings.Cut(typ, "@")
	return p.loader.Load(ctx, kind, name, ns)
}
