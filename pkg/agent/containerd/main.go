package containerd

import (
	"context"
	"flag"
	"os"
	"time"

	"github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2/manager"
	_ "github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2/task/plugin" // the shim's task service
	"github.com/containerd/containerd/v2/cmd/containerd/command"
	"github.com/containerd/containerd/v2/pkg/shim"
	"github.com/containerd/containerd/v2/plugins"
	"github.com/containerd/plugin"
	"github.com/containerd/plugin/registry"

	"velad.io/velad/pkg/agent"
	"velad.io/velad/pkg/exepages"
)

// releaseAfter is how long the daemon runs before it unmaps the pages of the velad binary
// its start-up touched (pkg/exepages): its plugins are loaded and the node's images imported.
const releaseAfter = 30 * time.Second

// Daemon runs the containerd daemon with args (as after `containerd`), until it exits.
func Daemon(ctx context.Context, args []string) error {
	keepPlugins(func(r *plugin.Registration) bool { return !isShimTask(r) })
	go exepages.ReleaseAfter(ctx, releaseAfter)
	return command.App().Run(ctx, append([]string{"containerd"}, args...))
}

// MaybeRunShim runs the runc shim and exits when the process was started as one (by its
// wrapper in the agent's bin dir, or by a shim re-executing itself); otherwise it returns.
func MaybeRunShim() {
	if os.Getenv(agent.MultiCallEnv) != agent.ShimName {
		return
	}
	os.Args[0] = agent.ShimName
	// One binary links the daemon's plugins and the shim's: a shim loads every registered
	// plugin, so it must see only its own (the daemon's content store would fail in it).
	keepPlugins(isShimTask)
	// Likewise its flags: other packages of velad register global flags the shim also
	// defines (-version), so it parses a command line of its own.
	flag.CommandLine = flag.NewFlagSet(agent.ShimName, flag.ExitOnError)
	shim.RunShim(context.Background(), manager.NewShimManager("io.containerd.runc.v2"))
	os.Exit(0)
}

// isShimTask matches the runc shim's task service registration.
func isShimTask(r *plugin.Registration) bool {
	return r.Type == plugins.TTRPCPlugin && r.ID == "task"
}

// keepPlugins leaves only the registered plugins that keep matches in the global registry.
func keepPlugins(keep func(*plugin.Registration) bool) {
	kept := registry.Graph(func(r *plugin.Registration) bool { return !keep(r) })
	registry.Reset()
	for i := range kept {
		registry.Register(&kept[i])
	}
}
