// Package provider is the registration seam for CUE packages that come with a
// Go runtime, like KubeVela's workflow providers. Each provider lives in its own
// sub-package pkg/cue/provider/<name> as a pair <name>.cue (the schema templates
// import as "vela/<name>") and <name>.go (a constructor returning a *Provider).
//
// A CUE action in a provider schema is a struct carrying the hidden-by-convention
// fields #provider and #do; an executor (pkg/workflow) finds such structs in a
// step and calls the matching Handler. Rendering alone (dry-run, vet) only needs
// the schemas, so Handlers may be nil.
package provider

import (
	"context"
	"fmt"
	"sort"
)

// Handler runs one provider action: in holds the action's concrete fields
// (decoded from CUE), the returned map is unified back into the action.
type Handler func(ctx context.Context, in map[string]any) (map[string]any, error)

// Provider is one importable CUE package plus the Go functions behind its actions.
type Provider struct {
	// Name is the provider name used in #provider fields (e.g. "kube").
	Name string
	// ImportPath is the CUE import path templates use (e.g. "vela/kube").
	ImportPath string
	// Files maps file names to CUE source; all files share one package clause.
	Files map[string]string
	// Handlers maps #do values to their Go implementation; may be empty.
	Handlers map[string]Handler
}

// Vela returns the schema-only provider of the CUE package vela/<name>, whose source is
// the one file <name>.cue.
func Vela(name, schema string) *Provider {
	return &Provider{Name: name, ImportPath: "vela/" + name, Files: map[string]string{name + ".cue": schema}}
}

// Handler returns the handler registered for action do, or an error naming the
// provider and the known actions.
func (p *Provider) Handler(do string) (Handler, error) {
	if h, ok := p.Handlers[do]; ok && h != nil {
		return h, nil
	}
	known := make([]string, 0, len(p.Handlers))
	for k := range p.Handlers {
		known = append(known, k)
	}
	sort.Strings(known)
	return nil, fmt.Errorf("provider %q has no handler for action %q (known: %v)", p.Name, do, known)
}

// WithHandlers returns a copy of p whose handlers are replaced by (merged with) hs;
// the workflow runtime uses it to attach Go functions to a schema-only provider.
func (p *Provider) WithHandlers(hs map[string]Handler) *Provider {
	cp := *p
	cp.Handlers = make(map[string]Handler, len(p.Handlers)+len(hs))
	for k, v := range p.Handlers {
		cp.Handlers[k] = v
	}
	for k, v := range hs {
		cp.Handlers[k] = v
	}
	return &cp
}
