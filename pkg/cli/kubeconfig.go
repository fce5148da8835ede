package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func newKubeconfigCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var name, host string
	var internal bool
	cmd := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Print the path of the cluster's admin kubeconfig (mode 0600)",
		Long: `Print the path of the cluster's admin kubeconfig (mode 0600).
--external (default) addresses the API server as 127.0.0.1 for use on this host;
--internal addresses it by the node IP, for another cluster (a hub) to reach it;
--host writes one that addresses it by the given name or IP (which must be in the certificate).`,
		Example: `  export KUBECONFIG=$(velad kubeconfig)
  vela cluster join $(velad kubeconfig --name sub --internal) --name sub`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, cfg, err := loadCluster(streams, name)
			if err != nil {
				return err
			}
			if host != "" {
				path, err := m.KubeconfigForHost(cfg, host)
				if err != nil {
					return err
				}
				fmt.Fprintln(streams.Out, path)
				return nil
			}
			path := cfg.AdminKubeconfig()
			if internal {
				path = cfg.InternalKubeconfig()
			}
			fmt.Fprintln(streams.Out, path)
			return nil
		},
	}
	addNameFlag(cmd, &name)
	cmd.Flags().BoolVar(&internal, "internal", false, "kubeconfig addressed by the node IP, for other clusters")
	cmd.Flags().Bool("external", true, "kubeconfig addressed by 127.0.0.1, for this host (default)")
	cmd.Flags().StringVar(&host, "host", "", "write a kubeconfig that addresses the API server by this host name or IP")
	cmd.MarkFlagsMutuallyExclusive("internal", "external", "host")
	return cmd
}

func newTokenCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Print the cluster's join token for `velad join` (a secret: printed only on this explicit request)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, cfg, err := loadCluster(streams, name)
			if err != nil {
				return err
			}
			token, err := m.Token(cfg)
			if err != nil {
				return err
			}
			fmt.Fprintln(streams.Out, token)
			return nil
		},
	}
	addNameFlag(cmd, &name)
	return cmd
}
