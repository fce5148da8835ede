// Package builtin provides the "vela/builtin" CUE package (see builtin.cue). Its Go
// handlers are attached by the workflow runtime with Provider.WithHandlers.
package builtin

import (
	_ "embed"

	"velad.io/velad/pkg/cue/provider"
)

//go:embed builtin.cue
var schema string

// Name is the provider name used in #provider fields.
const Name = "builtin"

// New returns the provider with its schema and no handlers.
func New() *provider.Provider {
	return provider.Vela(Name, schema)
}
