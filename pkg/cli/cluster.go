package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/application"
	"velad.io/velad/pkg/multicluster"
)

// newClusterCommand returns `vela cluster`: the registry of member clusters on the hub.
func newClusterCommand(streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Manage the clusters Applications are delivered to (join, list, detach, …)",
		Long: `Manage the member clusters of the hub. Each joined cluster is stored as KubeVela stores it:
a Secret named after the cluster in vela-system. The cluster "local" is the hub itself.`,
	}
	cmd.AddCommand(
		newClusterJoinCommand(streams),
		newClusterListCommand(streams),
		newClusterDetachCommand(streams),
		newClusterRenameCommand(streams),
		newClusterLabelsCommand(streams),
		newClusterProbeCommand(streams),
		newClusterExportConfigCommand(streams),
	)
	return cmd
}

// connectRegistry opens the cluster registry of the hub in $KUBECONFIG.
func connectRegistry() (*multicluster.Registry, error) {
	cfg, err := kubeRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("loading the hub kubeconfig: %w", err)
	}
	return multicluster.Connect(cfg)
}

// memberClients reaches the joined clusters through their credentials on the hub c (nil
// when the hub kubeconfig cannot be loaded: member resources are then not read).
func memberClients(c client.Client) application.ClusterClients {
	cfg, err := kubeRESTConfig()
	if err != nil {
		return nil
	}
	return multicluster.NewClientCache(c, cfg)
}

type clusterJoinFlags struct {
	name, context, alias string
	labels               []string
}

func newClusterJoinCommand(streams genericiooptions.IOStreams) *cobra.Command {
	f := &clusterJoinFlags{}
	cmd := &cobra.Command{
		Use:   "join KUBECONFIG",
		Short: "Join a cluster to the hub from a kubeconfig (client certificate or token)",
		Long: `Join a cluster to the hub. The credential of the kubeconfig's context (a client certificate
or a bearer token) is checked against the cluster's /readyz and stored in vela-system.`,
		Example: `  vela cluster join $(velad kubeconfig --name sub --internal) --name sub
  vela cluster join ~/.kube/prod.yaml --context prod --name prod --labels region=eu,tier=prod --alias "EU prod"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd.Context(), streams.Out, args[0])
		},
	}
	cmd.Flags().StringVarP(&f.name, "name", "n", "", "cluster name (default: the kubeconfig's cluster name)")
	cmd.Flags().StringVar(&f.context, "context", "", "kubeconfig context to join (default: the current context)")
	cmd.Flags().StringVar(&f.alias, "alias", "", "display name of the cluster")
	cmd.Flags().StringSliceVar(&f.labels, "labels", nil, "cluster labels, key=value[,key=value…]")
	return cmd
}

func (f *clusterJoinFlags) run(ctx context.Context, out io.Writer, kubeconfig string) error {
	labels, err := multicluster.ParseLabels(f.labels)
	if err != nil {
		return err
	}
	reg, err := connectRegistry()
	if err != nil {
		return err
	}
	c, err := reg.JoinKubeconfig(ctx, kubeconfig, multicluster.JoinOptions{Name: f.name, Context: f.context, Alias: f.alias, Labels: labels})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "cluster %s joined (%s, endpoint %s)\n", c.Name, c.Type, c.Endpoint)
	return nil
}

func newClusterListCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List clusters: name, alias, credential type, endpoint, labels and health",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			reg, err := connectRegistry()
			if err != nil {
				return err
			}
			clusters, err := reg.List(cmd.Context())
			if err != nil {
				return err
			}
			if done, err := printData(streams.Out, output, clusters); done {
				return err
			}
			return printClusterTable(streams.Out, clusters)
		},
	}
	addOutputFlag(cmd, &output)
	return cmd
}

// printClusterTable writes KubeVela's cluster table plus a HEALTH column; unhealthy
// clusters get their reason below the table.
func printClusterTable(out io.Writer, clusters []multicluster.Cluster) error {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLUSTER\tALIAS\tTYPE\tENDPOINT\tLABELS\tHEALTH")
	var reasons []string
	for _, c := range clusters {
		health := "unknown"
		if c.Health != nil && c.Health.Healthy {
			health = "healthy"
		} else if c.Health != nil {
			health = "unhealthy"
			reasons = append(reasons, fmt.Sprintf("cluster %s unreachable at %s: %s", c.Name, c.Endpoint, c.Health.Message))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.Name, orDash(c.Alias), c.Type, orDash(c.Endpoint), orDash(formatLabels(c.Labels)), health)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range reasons {
		fmt.Fprintln(out, r)
	}
	return nil
}

func formatLabels(labels map[string]string) string {
	pairs := make([]string, 0, len(labels))
	for k, v := range labels {
		pairs = append(pairs, k+"="+v)
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}

func newClusterDetachCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "detach CLUSTER",
		Short: "Detach a cluster (refused while Applications have resources there, unless --force)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := connectRegistry()
			if err != nil {
				return err
			}
			if err := reg.Detach(cmd.Context(), args[0], force); err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "cluster %s detached\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "detach even while Applications have resources in the cluster")
	return cmd
}

func newClusterRenameCommand(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "rename OLD_NAME NEW_NAME",
		Short: "Rename a joined cluster",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := connectRegistry()
			if err != nil {
				return err
			}
			if _, err := reg.Rename(cmd.Context(), args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "cluster %s renamed to %s\n", args[0], args[1])
			return nil
		},
	}
}

func newClusterLabelsCommand(streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{Use: "labels", Short: "Add or remove cluster labels"}
	cmd.AddCommand(&cobra.Command{
		Use:     "add CLUSTER KEY=VALUE...",
		Short:   "Add labels to a cluster (a value replaces the key's old one)",
		Example: "  vela cluster labels add sub region=eu tier=prod\n  vela cluster labels add sub region=eu,tier=prod",
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			labels, err := multicluster.ParseLabels(args[1:])
			if err != nil {
				return err
			}
			reg, err := connectRegistry()
			if err != nil {
				return err
			}
			c, err := reg.AddLabels(cmd.Context(), args[0], labels)
			return reportLabels(streams.Out, c, err)
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:     "del CLUSTER KEY...",
		Short:   "Remove labels from a cluster",
		Example: "  vela cluster labels del sub region tier",
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var keys []string
			for _, a := range args[1:] {
				keys = append(keys, strings.Split(a, ",")...)
			}
			reg, err := connectRegistry()
			if err != nil {
				return err
			}
			c, err := reg.DelLabels(cmd.Context(), args[0], keys)
			return reportLabels(streams.Out, c, err)
		},
	})
	return cmd
}

func reportLabels(out io.Writer, c *multicluster.Cluster, err error) error {
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "cluster %s labels: %s\n", c.Name, orDash(formatLabels(c.Labels)))
	return nil
}

func newClusterProbeCommand(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "probe CLUSTER",
		Short: "Check that a cluster's API server answers with the stored credential",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			reg, err := connectRegistry()
			if err != nil {
				return err
			}
			c, err := reg.Probe(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "cluster %s is healthy (%s)\n", c.Name, c.Endpoint)
			return nil
		},
	}
}

func newClusterExportConfigCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "export-config CLUSTER -o FILE",
		Short: "Write a kubeconfig for a joined cluster from its stored credential",
		Long: `Write a kubeconfig (mode 0600) reaching a joined cluster with its stored credential.
The kubeconfig holds the credential: it goes to FILE, or to standard output only with -o -.`,
		Example: "  vela cluster export-config sub -o sub.kubeconfig\n  vela cluster export-config sub -o - | kubectl --kubeconfig /dev/stdin get ns",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output == "" {
				return errors.New("the kubeconfig holds the cluster's credential: write it to a file with -o FILE, or print it with -o -")
			}
			reg, err := connectRegistry()
			if err != nil {
				return err
			}
			data, err := reg.ExportConfig(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if output == "-" {
				_, err = streams.Out.Write(data)
				return err
			}
			return writePrivateFile(streams.Out, output, data)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "file to write the kubeconfig to (- for standard output)")
	return cmd
}

// writePrivateFile writes data to path with mode 0600 and says where it went.
func writePrivateFile(out io.Writer, path string, data []byte) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("creating %s: %w", dir, err)
		}
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(out, "kubeconfig written to %s\n", path)
	return nil
}
