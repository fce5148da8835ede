// Package email provides the "vela/email" CUE package (see email.cue). Its Go
// handlers are attached by the workflow runtime with Provider.WithHandlers.
package email

import (
	_ "embed"

	"velad.io/velad/pkg/cue/provider"
)

//go:embed email.cue
var schema string

// Name is the provider name used in #provider fields.
const Name = "email"

// New returns the provider with its schema and no handlers.
func New() *provider.Provider {
	return provider.Vela(Name, schema)
}
