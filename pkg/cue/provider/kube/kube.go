// Package kube provides the "vela/kube" CUE package (see kube.cue). Its Go
// handlers are attached by the workflow runtime with Provider.WithHandlers.
package kube

import (
	_ "embed"

	"velad.io/velad/pkg/cue/provider"
)

//go:embed kube.cue
var schema string

// Name is the provider name used in #provider fields.
const Name = "kube"

// New returns the provider with its schema and no handlers.
func New() *provider.Provider {
	return provider.Vela(Name, schema)
}
