package controller

import (
	"context"
	"sync"

	"velad.io/velad/pkg/appfile"
	"velad.io/velad/pkg/workflow"
)

// recordingLoader remembers every definition loaded through it, so the
// revision can snapshot exactly the definitions the Application uses.
type recordingLoader struct {
	appfile.Loader
	mu   sync.Mutex
	used map[string]map[string]*appfile.Definition
}

// Load implements appfile.Loader.
func (l *recordingLoader) Load(ctx context.Context, kind, name, ns string) (*appfile.Definition, error) {
	d, err := l.Loader.Load(ctx, kind, name, ns)
	if err == nil {
		l.mu.Lock()
		if l.used[kind] == nil {
			l.used[kind] = map[string]*appfile.Definition{}
		}
		l.used[kind][name] = d
		l.mu.Unlock()
	}
	return d, err
}

// parse converts the Application, resolves every type it uses from the
// cluster and plans its workflow (spec.workflow or the default steps).
func (r *Reconciler) parse(ctx context.Context, s *appState) error {
	app, err := appfile.ApplicationFrom(s.source())
	if err != nil {
		return err
	}
	if app.Namespace == "" {
		app.Namespace = "default"
	}
	rl := &recordingLoader{Loader: r.loaderFor(s), used: map[string]map[string]*appfile.Definition{}}
	af, err := appfile.NewParser(rl).Parse(ctx, app)
	if err != nil {
		return err
	}
	plan, err := workflow.PlanFor(ctx, af, workflow.DefaultGenerator(), rl)
	if err != nil {
		return err
	}
	s.af, s.plan, s.used = af, plan, rl.used
	return nil
}
