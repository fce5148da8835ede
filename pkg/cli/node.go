package cli

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"velad.io/velad/pkg/agent/containerd"
)

// newContainerdCommand is the containerd personality a real node runs as its sub-process.
func newContainerdCommand(_ genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:                "containerd",
		Short:              "Run the embedded containerd (started by a real node; not for direct use)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return containerd.Daemon(cmd.Context(), args)
		},
	}
}
