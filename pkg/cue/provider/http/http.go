// Package http provides the "vela/http" CUE package (see http.cue). Its Go
// handlers are attached by the workflow runtime with Provider.WithHandlers.
package http

import (
	_ "embed"

	"velad.io/velad/pkg/cue/provider"
)

//go:embed http.cue
var schema string

// Name is the provider name used in #provider fields.
const Name = "http"

// New returns the provider with its schema and no handlers.
func New() *provider.Provider {
	return provider.Vela(Name, schema)
}
