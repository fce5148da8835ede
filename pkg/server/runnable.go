package server

import (
	"context"

	"k8s.io/client-go/rest"
)

// Controller is a long-lived embedded controller that plugs into the server. The server starts
// the controllers in the order given, each once the API server, the node and the previous
// controller are ready.
type Controller interface {
	// Name identifies the controller in logs and errors.
	Name() string
	// Start runs the controller against the cluster until ctx is done. It must call ready once
	// it is serving (for example after installing its CRDs); the cluster is reported ready only
	// when every controller has called it.
	Start(ctx context.Context, cfg *rest.Config, ready func()) error
}

// ControllerFunc adapts a function to the Controller interface.
type ControllerFunc struct {
	// ControllerName is returned by Name.
	ControllerName string
	// Run is called by Start.
	Run func(ctx context.Context, cfg *rest.Config, ready func()) error
}

// Name implements Controller.
func (f ControllerFunc) Name() string { return f.ControllerName }

// Start implements Controller.
func (f ControllerFunc) Start(ctx context.Context, cfg *rest.Config, ready func()) error {
	return f.Run(ctx, cfg, ready)
}
