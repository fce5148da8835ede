package application

import (
	"fmt"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/scheme"
)

// FieldManager is the server-side apply field manager of objects applied by the vela CLI.
const FieldManager = "vela-cli"

// NewClient returns a client for cfg that knows Applications and the built-in kinds.
func NewClient(cfg *rest.Config) (client.Client, error) {
	s, err := scheme.New()
	if err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return nil, fmt.Errorf("creating client for %s: %w", cfg.Host, err)
	}
	return c, nil
}
