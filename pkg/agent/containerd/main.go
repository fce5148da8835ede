package containerd

import (
	"context"
	"os"

	"github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2/manager"
	_ "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2/task/plugin" // the shim's task service
	"github.com/containerd/containerd/v2/cmd/containerd/command"
	"github.com/containerd/containerd/v2/pkg/shim"

	"velad.io/velad/pkg/agent"
)

// Daemon runs the containerd daemon with args (as after `containerd`), until it exits.
func Daemon(ctx context.Context, args []string) error {
	return command.App().Run(ctx, append([]string{"containerd"}, args...))
}

// MaybeRunShim runs the runc shim and exits when the process was started as one (by its
// wrapper in the agent's bin dir, or by a shim re-executing itself); otherwise it returns.
func MaybeRunShim() {
	if os.Getenv(agent.MultiCallEnv) != agent.ShimName {
		return
	}
	os.Args[0] = agent.ShimName
	shim.RunShim(context.Background(), manager.NewShimManager("io.containerd.runc.v2"))
	os.Exit(0)
}
