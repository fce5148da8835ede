package appfile

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"velad.io/velad/pkg/apis/oam"
	"velad.io/velad/pkg/cue"
)

// AuxiliaryWorkload is the trait type stamped on a component's own `outputs`.
const AuxiliaryWorkload = "AuxiliaryWorkload"

// Appfile is a parsed Application with every definition resolved.
type Appfile struct {
	App           *Application
	Namespace     string
	Components    []*Component
	Policies      []*Policy
	WorkflowSteps []*Step
}

// Component is one application component and its definitions.
type Component struct {
	Name, Type string
	Properties map[string]any
	DependsOn  []string
	Template   *Template
	Traits     []*Trait
}

// Trait is one trait of a component.
type Trait struct {
	Type       string
	Properties map[string]any
	Template   *Template
}

// Policy is one application policy.
type Policy struct {
	Name, Type string
	Properties map[string]any
	Template   *Template
}

// Step is one workflow step; Template is nil for engine built-ins without a definition.
type Step struct {
	Name, Type string
	Properties map[string]any
	Template   *Template
	SubSteps   []*Step
	// Spec is the step as written (if, timeout, inputs, outputs, dependsOn).
	Spec *WorkflowStep
}

// RenderOptions are the revision facts rendering needs beyond the Application.
type RenderOptions struct {
	// AppRevision is the ApplicationRevision name ("" in dry-run).
	AppRevision string
	// AppRevisionNum is its number (0 in dry-run).
	AppRevisionNum int64
	// Cluster is the target cluster ("" = local).
	Cluster string
	// ClusterVersion is the target's Kubernetes version; nil means the version velad embeds.
	ClusterVersion *cue.ClusterVersion
	// ReplicaKey is the replica a replication policy renders ("" = not replicated).
	ReplicaKey string
	// Properties, when set, gives the properties a component is rendered with
	// (the controller resolves the references of a ref-objects component into
	// the objects they name); nil renders c.Properties as written.
	Properties func(ctx context.Context, c *Component) (map[string]any, error)
}

// embeddedClusterVersion is the Kubernetes version of velad's own control plane.
func embeddedClusterVersion() *cue.ClusterVersion {
	return &cue.ClusterVersion{Major: 1, Minor: 37, GitVersion: "v1.37.2", Platform: runtime.GOOS + "/" + runtime.GOARCH}
}

// TraitObject is an object produced by a trait (or a component's auxiliary output).
type TraitObject struct {
	// Type is the trait type, or AuxiliaryWorkload.
	Type string
	// Resource is the key in the template's `outputs`.
	Resource string
	// Stage is the trait's dispatch stage ("" = with the workload, PreDispatch, PostDispatch).
	Stage  string
	Object *unstructured.Unstructured
}

// ComponentManifest is one rendered component.
type ComponentManifest struct {
	Name, Type string
	// Workload is the patched `output`; nil for components that only have outputs.
	Workload *unstructured.Unstructured
	// Traits holds auxiliary outputs first, then each trait's outputs in order.
	Traits []*TraitObject
	// Context is the KubeVela context the component was rendered with.
	Context *cue.Context
	// ManagedByTrait names the trait whose definition sets manageWorkload: that
	// trait, not the application, owns the workload's lifecycle. "" if none.
	ManagedByTrait string
}

// Objects returns the workload followed by the trait objects.
func (m *ComponentManifest) Objects() []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	if m.Workload != nil {
		out = append(out, m.Workload)
	}
	for _, t := range m.Traits {
		out = append(out, t.Object)
	}
	return out
}

// Render renders every component. Errors name the component and trait.
func (af *Appfile) Render(ctx context.Context, e *cue.Engine, opts RenderOptions) ([]*ComponentManifest, error) {
	out := make([]*ComponentManifest, 0, len(af.Components))
	for _, c := range af.Components {
		m, err := af.RenderComponent(ctx, e, c, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Context builds the KubeVela context for component c.
func (af *Appfile) Context(c *Component, opts RenderOptions) *cue.Context {
	app := af.App
	comps := make([]map[string]any, 0, len(app.Spec.Components))
	for _, ac := range app.Spec.Components {
		comps = append(comps, map[string]any{"name": ac.Name, "type": ac.Type, "properties": orEmpty(ac.Properties)})
	}
	cv := opts.ClusterVersion
	if cv == nil {
		cv = embeddedClusterVersion()
	}
	rev := ""
	if opts.AppRevisionNum > 0 {
		rev = c.Name + "-v" + strconv.FormatInt(opts.AppRevisionNum, 10)
	}
	return &cue.Context{
		Name:           c.Name,
		AppName:        app.Name,
		Namespace:      af.Namespace,
		AppRevision:    opts.AppRevision,
		AppRevisionNum: opts.AppRevisionNum,
		Revision:       rev,
		ComponentType:  c.Type,
		AppLabels:      app.Labels,
		AppAnnotations: app.Annotations,
		PublishVersion: app.Annotations[PublishVersionAnnotation],
		Cluster:        opts.Cluster,
		ReplicaKey:     opts.ReplicaKey,
		WorkflowName:   app.Name,
		ClusterVersion: cv,
		Components:     comps,
	}
}

// RenderComponent renders c's workload and auxiliary outputs, then applies its
// traits in order: each trait sees the workload patched so far as
// context.output and the objects so far as context.outputs.
func (af *Appfile) RenderComponent(ctx context.Context, e *cue.Engine, c *Component, opts RenderOptions) (*ComponentManifest, error) {
	where := fmt.Sprintf("component %q (type %s)", c.Name, c.Type)
	if c.Template.Source == "" {
		return nil, fmt.Errorf("%s: ComponentDefinition %q has no CUE template", where, c.Template.Name())
	}
	cctx := af.Context(c, opts)
	props := c.Properties
	if opts.Properties != nil {
		var err error
		if props, err = opts.Properties(ctx, c); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
	}
	res, err := e.Render(ctx, c.Template.Source, props, cctx, cue.WithoutParameter())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	s := &componentRender{
		c:        c,
		ctx:      cctx,
		workload: res.Output,
		soft:     res.OutputDefaults,
		m:        &ComponentManifest{Name: c.Name, Type: c.Type, Context: cctx},
	}
	if s.workload != nil {
		fillWorkloadKind(s.workload, c.Template.Def.Workload)
	}
	for _, o := range res.Outputs {
		s.m.Traits = append(s.m.Traits, &TraitObject{Type: AuxiliaryWorkload, Resource: o.Name, Object: &unstructured.Unstructured{Object: o.Object}})
	}
	for _, t := range c.Traits {
		if err := s.applyTrait(ctx, e, t); err != nil {
			return nil, err
		}
		if t.Template.Def.ManageWorkload && s.m.ManagedByTrait == "" {
			s.m.ManagedByTrait = t.Type
		}
	}
	if s.workload != nil {
		s.m.Workload = &unstructured.Unstructured{Object: s.workload}
	}
	af.stamp(s.m, opts)
	return s.m, nil
}

// componentRender is one component's render in progress.
type componentRender struct {
	c        *Component
	ctx      *cue.Context
	workload map[string]any
	// soft are workload paths that only hold a CUE default (see cue.MergePatch).
	soft map[string]bool
	m    *ComponentManifest
}

// applyTrait renders one trait against the current workload, patches the
// workload and earlier outputs, and adds the trait's own objects.
func (s *componentRender) applyTrait(ctx context.Context, e *cue.Engine, t *Trait) error {
	where := fmt.Sprintf("trait %q on component %q", t.Type, s.c.Name)
	if err := checkApplies(s.c, t, s.workload); err != nil {
		return err
	}
	if t.Template.Source == "" {
		return fmt.Errorf("%s: TraitDefinition %q has no CUE template", where, t.Template.Name())
	}
	tctx := *s.ctx
	tctx.Output = orEmpty(s.workload)
	tctx.Outputs = map[string]any{}
	for _, o := range s.m.Traits {
		tctx.Outputs[o.Resource] = o.Object.Object
	}
	res, err := e.Render(ctx, t.Template.Source, t.Properties, &tctx, cue.WithoutParameter())
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if res.Patch != nil {
		if s.workload == nil {
			return fmt.Errorf("%s: has a patch but component %q has no workload output", where, s.c.Name)
		}
		// The workload is this render's own (a fresh decode, then earlier merges' results).
		if s.workload, err = cue.MergePatchOwned(s.workload, s.soft, res.Patch); err != nil {
			return fmt.Errorf("%s: patching the workload: %w", where, err)
		}
	}
	for name, p := range res.PatchOutputs {
		target := findResource(s.m.Traits, name)
		if target == nil {
			return fmt.Errorf("%s: patchOutputs.%s: component %q has no output named %q", where, name, s.c.Name, name)
		}
		patched, err := cue.ApplyPatch(target.Object.Object, p)
		if err != nil {
			return fmt.Errorf("%s: patching output %q: %w", where, name, err)
		}
		target.Object.Object = patched
	}
	for _, o := range res.Outputs {
		s.m.Traits = append(s.m.Traits, &TraitObject{Type: t.Type, Resource: o.Name, Stage: t.Template.Def.Stage, Object: &unstructured.Unstructured{Object: o.Object}})
	}
	return nil
}

func findResource(objs []*TraitObject, name string) *TraitObject {
	for _, o := range objs {
		if o.Resource == name {
			return o
		}
	}
	return nil
}

// fillWorkloadKind sets apiVersion/kind from spec.workload.definition when the template left them out.
func fillWorkloadKind(obj map[string]any, w WorkloadRef) {
	if _, ok := obj["apiVersion"]; !ok && w.APIVersion != "" {
		obj["apiVersion"] = w.APIVersion
	}
	if _, ok := obj["kind"]; !ok && w.Kind != "" {
		obj["kind"] = w.Kind
	}
}

// stamp sets names and KubeVela's labels on every object of m.
func (af *Appfile) stamp(m *ComponentManifest, opts RenderOptions) {
	base := map[string]string{
		oam.LabelAppName:      af.App.Name,
		oam.LabelAppComponent: m.Name,
		oam.LabelAppRevision:  opts.AppRevision,
	}
	if af.Namespace != "" {
		base[oam.LabelAppNamespace] = af.Namespace
	}
	if opts.ReplicaKey != "" {
		base[oam.LabelReplicaKey] = opts.ReplicaKey
	}
	if m.Workload != nil {
		if m.Workload.GetName() == "" {
			m.Workload.SetName(m.Name)
		}
		setLabels(m.Workload, base, map[string]string{
			oam.WorkloadTypeLabel:    m.Type,
			oam.LabelOAMResourceType: oam.ResourceTypeWorkload,
		})
	}
	for _, t := range m.Traits {
		if t.Object.GetName() == "" {
			t.Object.SetName(strings.ToLower(m.Name + "-" + t.Type + "-" + t.Resource))
		}
		setLabels(t.Object, base, map[string]string{
			oam.TraitTypeLabel:       t.Type,
			oam.TraitResource:        t.Resource,
			oam.LabelOAMResourceType: oam.ResourceTypeTrait,
		})
	}
}

func setLabels(u *unstructured.Unstructured, sets ...map[string]string) {
	labels := u.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	for _, s := range sets {
		for k, v := range s {
			labels[k] = v
		}
	}
	u.SetLabels(labels)
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
