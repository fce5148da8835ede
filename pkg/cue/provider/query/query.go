// Package query provides the "vela/query" CUE package (see query.cue). Its Go
// handlers are attached by the workflow runtime with Provider.WithHandlers.
package query

import (
	_ "embed"

	"velad.io/velad/pkg/cue/provider"
)

//go:embed query.cue
var schema string

// Name is the provider name used in #provider fields.
const Name = "query"

// New returns the provider with its schema and no handlers.
func New() *provider.Provider {
	return provider.Vela(Name, schema)
}
