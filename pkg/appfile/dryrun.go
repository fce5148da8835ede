package appfile

import (
	"context"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"velad.io/velad/pkg/cue"
)

// DryRun parses app with the definitions from l and renders its components.
func DryRun(ctx context.Context, e *cue.Engine, l Loader, app *Application, opts RenderOptions) ([]*ComponentManifest, error) {
	af, err := NewParser(l).Parse(ctx, app)
	if err != nil {
		return nil, err
	}
	return af.Render(ctx, e, opts)
}

// WriteManifests prints rendered components as multi-document YAML in the
// layout of `vela dry-run`: a comment header per component, then its workload
// and trait objects.
func WriteManifests(w io.Writer, appName string, manifests []*ComponentManifest) error {
	for _, m := range manifests {
		if err := writeObjects(w, fmt.Sprintf("Application(%s) -- Component(%s)", appName, m.Name), m.Objects()); err != nil {
			return err
		}
	}
	return nil
}

// WritePolicyManifests prints the objects policies output, one header per
// policy, after WriteManifests' components; policies without objects are skipped.
func WritePolicyManifests(w io.Writer, appName string, policies []*PolicyManifest) error {
	for _, p := range policies {
		if len(p.Objects) == 0 {
			continue
		}
		if err := writeObjects(w, fmt.Sprintf("Application(%s) -- Policy(%s)", appName, p.Name), p.Objects); err != nil {
			return err
		}
	}
	return nil
}

func writeObjects(w io.Writer, header string, objs []*unstructured.Unstructured) error {
	if _, err := fmt.Fprintf(w, "---\n# %s \n---\n\n", header); err != nil {
		return err
	}
	for i, obj := range objs {
		if i > 0 {
			if _, err := io.WriteString(w, "---\n"); err != nil {
				return err
			}
		}
		b, err := yaml.Marshal(obj.Object)
		if err != nil {
			return fmt.Errorf("encoding %s %q: %w", obj.GetKind(), obj.GetName(), err)
		}
		if _, err := fmt.Fprintf(w, "%s\n", b); err != nil {
			return err
		}
	}
	return nil
}
