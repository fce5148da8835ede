package appfile

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"velad.io/velad/pkg/apis/oam"
	"velad.io/velad/pkg/cue"
)

// PolicyManifest is one rendered policy: its checked parameter and the
// objects its template outputs (most built-in policies output none).
type PolicyManifest struct {
	Name, Type string
	// Parameter is the policy's parameter after defaults.
	Parameter map[string]any
	// Objects are `output` and `outputs` of the policy template, labelled with the app.
	Objects []*unstructured.Unstructured
}

// RenderPolicies renders every policy that has a template: parameters are
// checked like a component's and outputs become objects.
func (af *Appfile) RenderPolicies(ctx context.Context, e *cue.Engine, opts RenderOptions) ([]*PolicyManifest, error) {
	out := make([]*PolicyManifest, 0, len(af.Policies))
	for _, p := range af.Policies {
		pm := &PolicyManifest{Name: p.Name, Type: p.Type, Parameter: p.Properties}
		if p.Template.Source != "" {
			pctx := &cue.Context{
				Name: p.Name, AppName: af.App.Name, Namespace: af.Namespace,
				AppRevision: opts.AppRevision, AppRevisionNum: opts.AppRevisionNum,
				AppLabels: af.App.Labels, AppAnnotations: af.App.Annotations,
				PublishVersion: af.App.Annotations[PublishVersionAnnotation], WorkflowName: af.App.Name,
			}
			res, err := e.Render(ctx, p.Template.Source, p.Properties, pctx)
			if err != nil {
				return nil, fmt.Errorf("policy %q (type %s): %w", p.Name, p.Type, err)
			}
			pm.Parameter = res.Parameter
			if res.Output != nil {
				pm.Objects = append(pm.Objects, &unstructured.Unstructured{Object: res.Output})
			}
			for _, o := range res.Outputs {
				pm.Objects = append(pm.Objects, &unstructured.Unstructured{Object: o.Object})
			}
		}
		for _, o := range pm.Objects {
			setLabels(o, map[string]string{oam.LabelAppName: af.App.Name, oam.LabelAppNamespace: af.Namespace})
		}
		out = append(out, pm)
	}
	return out, nil
}
