package controller

import (
	"context"

	"velad.io/velad/pkg/appfile"
)

// renderOptions are the revision facts the renderer stamps.
func (s *appState) renderOptions() appfile.RenderOptions {
	return appfile.RenderOptions{AppRevision: s.rev.Name, AppRevisionNum: s.rev.Revision, Properties: s.properties}
}

// render renders every component once up front, so CUE errors, missing
// parameters and traits that do not apply surface as a Render condition
// before anything is applied.
func (r *Reconciler) render(ctx context.Context, s *appState) error {
	ms, err := s.af.Render(ctx, r.cue, s.renderOptions())
	if err != nil {
		return err
	}
	s.manifests = make(map[string]*appfile.ComponentManifest, len(ms))
	for _, m := range ms {
		s.manifests[m.Name] = m
		for _, o := range m.Objects() {
			defaultNamespace(r.client, o, s.app.Namespace)
		}
	}
	return nil
}
