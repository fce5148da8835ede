package cli

import (
	"os"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	componentcli "k8s.io/component-base/cli"
	kubectlcmd "k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/plugin"
	cmdutil "k8s.io/kubectl/pkg/cmd/util"

	"velad.io/velad/pkg/cluster"
	"velad.io/velad/pkg/server/config"
)

func newKubectlCommand(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:                "kubectl",
		Short:              "Run kubectl against the default cluster (or $KUBECONFIG)",
		DisableFlagParsing: true,
		RunE: func(_ *cobra.Command, args []string) error {
			return runKubectl(streams, args)
		},
	}
}

// runKubectl runs the full upstream kubectl; without KUBECONFIG it targets the default
// cluster's admin kubeconfig.
func runKubectl(streams genericiooptions.IOStreams, args []string) error {
	setDefaultKubeconfig()
	cmd := kubectlcmd.NewDefaultKubectlCommandWithArgs(kubectlcmd.KubectlOptions{
		PluginHandler: kubectlcmd.NewDefaultPluginHandler(plugin.ValidPluginFilenamePrefixes),
		Arguments:     append([]string{"kubectl"}, args...),
		ConfigFlags:   genericclioptionsConfigFlags(),
		IOStreams:     streams,
	})
	cmd.SetArgs(args)
	if err := componentcli.RunNoErrOutput(cmd); err != nil {
		// As kubectl's own main: print the error once, kubectl's way, and exit with its code
		// (kubectl exec passes the remote command's exit status, kubectl diff exits 1 on a diff).
		cmdutil.CheckErr(err)
	}
	return nil
}

// setDefaultKubeconfig points KUBECONFIG at the default cluster when the user set none.
func setDefaultKubeconfig() {
	if os.Getenv("KUBECONFIG") != "" {
		return
	}
	m, err := cluster.NewManager()
	if err != nil {
		return
	}
	if cfg, err := m.Config(config.DefaultName); err == nil {
		os.Setenv("KUBECONFIG", cfg.AdminKubeconfig())
	}
}
