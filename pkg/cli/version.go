package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"velad.io/velad/pkg/version"
)

func newVersionCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the versions of velad, its Kubernetes and its OAM API",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			v := version.Get()
			if done, err := printData(streams.Out, output, v); done {
				return err
			}
			fmt.Fprintf(streams.Out, "velad:      %s\nKubernetes: %s\nOAM API:    %s\nGo:         %s\n", v.Velad, v.Kubernetes, v.OAM, v.Go)
			return nil
		},
	}
	addOutputFlag(cmd, &output)
	return cmd
}
