package cli

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// NewVelaCommand returns the root `vela` command (the binary invoked as `vela`).
func NewVelaCommand(streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:           "vela",
		Short:         "Deliver applications with OAM: components, traits, policies and workflows",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetOut(streams.Out)
	cmd.SetErr(streams.ErrOut)
	cmd.AddCommand(velaCommands(streams)...)
	return cmd
}

// velaCommands lists the vela subcommands; each command group lives in its own file.
func velaCommands(streams genericiooptions.IOStreams) []*cobra.Command {
	return []*cobra.Command{
		newVersionCommand(streams),
		newUpCommand(streams),
		newAppStatusCommand(streams),
		newLsCommand(streams),
		newDeleteCommand(streams),
		newWorkflowCommand(streams),
		newLogsCommand(streams),
		newExecCommand(streams),
		newPortForwardCommand(streams),
	}
}

func newVelaPassthroughCommand(streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:                "vela",
		Short:              "Run vela commands (same as invoking the binary as `vela`)",
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			v := NewVelaCommand(streams)
			v.SetArgs(args)
			return v.ExecuteContext(c.Context())
		},
	}
	return cmd
}
