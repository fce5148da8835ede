package workflow

import (
	"context"
	"fmt"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/appfile"
)

// Generator proposes the default steps of an Application without
// spec.workflow; it returns nil when its rule does not apply (STYLE.md P16).
type Generator interface {
	Generate(af *appfile.Appfile) []appfile.WorkflowStep
}

// Chain asks each generator in turn; the first non-empty answer wins.
type Chain []Generator

// Generate implements Generator.
func (c Chain) Generate(af *appfile.Appfile) []appfile.WorkflowStep {
	for _, g := range c {
		if steps := g.Generate(af); len(steps) > 0 {
			return steps
		}
	}
	return nil
}

// DeployPerTopology generates one `deploy` step per topology policy, each
// carrying that topology and every override policy (KubeVela's first rule);
// without topologies but with override policies or a ref-objects component,
// one `deploy` step with every override policy.
type DeployPerTopology struct{}

// Generate implements Generator.
func (DeployPerTopology) Generate(af *appfile.Appfile) []appfile.WorkflowStep {
	var topologies, overrides []string
	for _, p := range af.Policies {
		switch p.Type {
		case "topology":
			topologies = append(topologies, p.Name)
		case "override":
			overrides = append(overrides, p.Name)
		}
	}
	if len(topologies) == 0 {
		if len(overrides) == 0 && !hasRefObjects(af) {
			return nil
		}
		return []appfile.WorkflowStep{deployStep("deploy", overrides)}
	}
	var steps []appfile.WorkflowStep
	for _, t := range topologies {
		steps = append(steps, deployStep("deploy-"+t, append([]string{t}, overrides...)))
	}
	return steps
}

// hasRefObjects reports a ref-objects component, which KubeVela also deploys
// with one deploy step.
func hasRefObjects(af *appfile.Appfile) bool {
	for _, c := range af.App.Spec.Components {
		if c.Type == "ref-objects" {
			return true
		}
	}
	return false
}

func deployStep(name string, policies []string) appfile.WorkflowStep {
	ps := make([]any, len(policies))
	for i, p := range policies {
		ps[i] = p
	}
	return appfile.WorkflowStep{Name: name, Type: "deploy", Properties: map[string]any{"policies": ps}}
}

// ApplyEachComponent generates one `apply-component` step per component,
// named after it, with the component's dependsOn, inputs and outputs.
type ApplyEachComponent struct{}

// Generate implements Generator.
func (ApplyEachComponent) Generate(af *appfile.Appfile) []appfile.WorkflowStep {
	var steps []appfile.WorkflowStep
	for _, c := range af.App.Spec.Components {
		steps = append(steps, appfile.WorkflowStep{
			Name: c.Name, Type: "apply-component",
			Properties: map[string]any{"component": c.Name},
			DependsOn:  c.DependsOn, Inputs: c.Inputs, Outputs: c.Outputs,
		})
	}
	return steps
}

// DefaultGenerator is KubeVela's rule set: deploy per topology (or override)
// policy, else apply-component per component.
func DefaultGenerator() Generator { return Chain{DeployPerTopology{}, ApplyEachComponent{}} }

// Plan is the steps and mode an Application's workflow runs.
type Plan struct {
	Steps []*appfile.Step
	Mode  v1beta1.WorkflowExecuteMode
}

// PlanFor returns the workflow of af: its spec.workflow steps (already
// resolved by the parser) or generated defaults whose definitions l loads.
// Generated apply-component steps run as a DAG over the components' dependsOn.
func PlanFor(ctx context.Context, af *appfile.Appfile, g Generator, l appfile.Loader) (*Plan, error) {
	mode := v1beta1.WorkflowExecuteMode{Steps: v1beta1.WorkflowModeStep, SubSteps: v1beta1.WorkflowModeDAG}
	if wf := af.App.Spec.Workflow; wf != nil && len(wf.Steps) > 0 {
		if s, ok := wf.Mode["steps"].(string); ok && s != "" {
			mode.Steps = v1beta1.WorkflowMode(s)
		}
		if s, ok := wf.Mode["subSteps"].(string); ok && s != "" {
			mode.SubSteps = v1beta1.WorkflowMode(s)
		}
		if err := checkDependsOn(af.WorkflowSteps); err != nil {
			return nil, err
		}
		return &Plan{Steps: af.WorkflowSteps, Mode: mode}, nil
	}
	specs := g.Generate(af)
	if len(specs) > 0 && specs[0].Type == "apply-component" {
		mode.Steps = v1beta1.WorkflowModeDAG
	}
	plan := &Plan{Mode: mode}
	for i := range specs {
		ws := &specs[i]
		def, err := l.Load(ctx, appfile.KindWorkflowStep, ws.Type, af.Namespace)
		if err != nil {
			return nil, fmt.Errorf("default workflow step %q: %w", ws.Name, err)
		}
		plan.Steps = append(plan.Steps, &appfile.Step{Name: ws.Name, Type: ws.Type, Properties: ws.Properties, Template: appfile.NewTemplate(def), Spec: ws})
	}
	if err := checkDependsOn(plan.Steps); err != nil {
		return nil, fmt.Errorf("components: %w", err)
	}
	return plan, nil
}
