// Package ql provides "vela/ql", the package KubeVela's VelaQL views import (see ql.cue).
// Its definitions alias vela/kube and vela/query actions, whose handlers the workflow
// runtime attaches.
package ql

import (
	_ "embed"

	"velad.io/velad/pkg/cue/provider"
)

//go:embed ql.cue
var schema string

// New returns the "vela/ql" package, schema only.
func New() *provider.Provider {
	return provider.Vela("ql", schema)
}
