package cli

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"velad.io/velad/pkg/cluster"
)

func newStatusCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var name, output string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the clusters on this host: endpoint, state, datastore, node, uptime, readiness",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := managerFor(streams)
			if err != nil {
				return err
			}
			var list []cluster.Status
			if name != "" {
				cfg, err := m.Config(name)
				if err != nil {
					return err
				}
				list = []cluster.Status{m.Status(cmd.Context(), cfg)}
			} else {
				list = m.List(cmd.Context())
			}
			if done, err := printData(streams.Out, output, list); done {
				return err
			}
			if len(list) == 0 {
				fmt.Fprintln(streams.Out, "no clusters installed; run `velad install`")
				return nil
			}
			tw := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tENDPOINT\tSTATE\tREADY\tCOMPONENTS\tNODE\tDATASTORE\tUPTIME")
			for _, s := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\t%s\t%s\t%s\n", s.Name, s.Endpoint, s.State, s.Ready, s.Components, s.Node, s.Datastore, s.Uptime)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, s := range list {
				if s.NodeMode != "" {
					fmt.Fprintf(streams.Out, "\n%s node mode: %s\n", s.Name, s.NodeMode)
				}
				if s.Gateway != "" {
					fmt.Fprintf(streams.Out, "%s gateway: http://%s (curl -H 'Host: <domain>' http://%s/)\n", s.Name, s.Gateway, s.Gateway)
				}
				if s.Error != "" {
					fmt.Fprintf(streams.Out, "\n%s failed: %s\n", s.Name, s.Error)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "show only this cluster")
	addOutputFlag(cmd, &output)
	return cmd
}
