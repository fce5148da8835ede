// Package oam provides the "vela/oam" CUE package (see oam.cue). Its Go
// handlers are attached by the workflow runtime with Provider.WithHandlers.
package oam

import (
	_ "embed"

	"velad.io/velad/pkg/cue/provider"
)

//go:embed oam.cue
var schema string

// Name is the provider name used in #provider fields.
const Name = "oam"

// New returns the provider with its schema and no handlers.
func New() *provider.Provider {
	return provider.Vela(Name, schema)
}
