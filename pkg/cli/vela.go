package cli

import (
	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
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
		newLiveDiffCommand(streams),
		newRevisionCommand(streams),
		newLogsCommand(streams),
		newExecCommand(streams),
		newPortForwardCommand(streams),
		newClusterCommand(streams),
		newAddonCommand(streams),
		newQLCommand(streams),
		NewDryRunCommand(streams, kubeRESTConfig),
		NewDefCommand(streams, kubeRESTConfig),
		NewShowCommand(streams, kubeRESTConfig),
		NewComponentsCommand(streams, kubeRESTConfig),
		NewTraitsCommand(streams, kubeRESTConfig),
		NewPoliciesCommand(streams, kubeRESTConfig),
		NewWorkflowStepsCommand(streams, kubeRESTConfig),
	}
}

// kubeRESTConfig loads the client config from $KUBECONFIG (the default velad cluster when unset).
func kubeRESTConfig() (*rest.Config, error) {
	setDefaultKubeconfig()
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(clientcmd.NewDefaultClientConfigLoadingRules(), &clientcmd.ConfigOverrides{}).ClientConfig()
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
