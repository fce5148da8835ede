package cli

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"velad.io/velad/pkg/cluster"
	"velad.io/velad/pkg/log"
)

// NewVeladCommand returns the root `velad` command.
func NewVeladCommand(streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "velad",
		Short: "velad: a complete application delivery platform in one binary",
		Long: `velad boots its own Kubernetes control plane (on SQLite, in one process), runs the
OAM application delivery controller and its addons, all offline.

  velad install            start the default cluster and wait until it is ready
  vela up -f app.yaml      deliver an application
  velad status             show every cluster on this host`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	cmd.AddCommand(
		newInstallCommand(streams),
		newStartCommand(streams),
		newStopCommand(streams),
		newUninstallCommand(streams),
		newStatusCommand(streams),
		newKubeconfigCommand(streams),
		newTokenCommand(streams),
		newJoinCommand(streams),
		newServerCommand(streams),
		newControllerCommand(streams),
		newVersionCommand(streams),
		newKubectlCommand(streams),
		newVelaPassthroughCommand(streams),
		newContainerdCommand(streams),
		newHelloCommand(streams),
		newImageCommand(streams),
	)
	return cmd
}

// managerFor builds the cluster manager the lifecycle commands share.
func managerFor(streams genericiooptions.IOStreams) (*cluster.Manager, error) {
	return cluster.NewManager(cluster.WithLogger(log.Writer{W: streams.ErrOut}))
}
