// Package multicluster provides the "vela/multicluster" CUE package (see multicluster.cue). Its Go
// handlers are attached by the workflow runtime with Provider.WithHandlers.
package multicluster

import (
	_ "embed"

	"velad.io/velad/pkg/cue/provider"
)

//go:embed multicluster.cue
var schema string

// Name is the provider name used in #provider fields.
const Name = "multicluster"

// New returns the provider with its schema and no handlers.
func New() *provider.Provider {
	return provider.Vela(Name, schema)
}
