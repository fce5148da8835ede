// Package op provides "vela/op", the façade KubeVela workflow step
// definitions import, and All, the standard set of providers it builds on.
package op

import (
	_ "embed"

	"velad.io/velad/pkg/cue/provider"
	"velad.io/velad/pkg/cue/provider/builtin"
	"velad.io/velad/pkg/cue/provider/email"
	"velad.io/velad/pkg/cue/provider/http"
	"velad.io/velad/pkg/cue/provider/kube"
	"velad.io/velad/pkg/cue/provider/multicluster"
	"velad.io/velad/pkg/cue/provider/oam"
	"velad.io/velad/pkg/cue/provider/ql"
	"velad.io/velad/pkg/cue/provider/query"
)

//go:embed op.cue
var schema string

// New returns the "vela/op" package. It has no actions of its own: its
// definitions alias the providers' actions, which carry #provider and #do.
func New() *provider.Provider {
	return provider.Vela("op", schema)
}

// All returns "vela/op", every provider it imports and "vela/ql" (VelaQL views), schema only; register
// them with cue.WithProviders. The workflow runtime replaces entries with
// copies carrying handlers (Provider.WithHandlers).
func All() []*provider.Provider {
	return []*provider.Provider{
		New(), kube.New(), builtin.New(), http.New(), oam.New(),
		multicluster.New(), query.New(), email.New(), ql.New(),
	}
}
