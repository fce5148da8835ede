package appfile

import (
	"context"
	"fmt"
	"io"

	"sigs.k8s.io/yaml"

	"velad.io/velad/pkg/cue"
)

// DryRun parses app with the definitions from l and renders it.
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
		if _, err := fmt.Fprintf(w, "---\n# Application(%s) -- Component(%s) \n---\n\n", appName, m.Name); err != nil {
			return err
		}
		for i, obj := range m.Objects() {
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
	}
	return nil
}
