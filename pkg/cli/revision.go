package cli

import (
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/yaml"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/application"
)

func newRevisionCommand(streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "revision",
		Short: "List and inspect the ApplicationRevisions of an Application (what rollback and up --revision use)",
	}
	cmd.AddCommand(newRevisionListCommand(streams), newRevisionGetCommand(streams))
	return cmd
}

func newRevisionListCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var target appTarget
	var output string
	cmd := &cobra.Command{
		Use:     "list APP",
		Aliases: []string{"ls"},
		Short:   "List an Application's revisions, oldest first",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, app, err := target.get(ctx, args[0])
			if err != nil {
				return err
			}
			revs, err := application.DescribeRevisions(ctx, c, app)
			if err != nil {
				return err
			}
			if done, err := printData(streams.Out, output, revs); done {
				return err
			}
			if len(revs) == 0 {
				_, err := fmt.Fprintf(streams.Out, "application %s/%s has no revisions yet\n", app.Namespace, app.Name)
				return err
			}
			w := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tPUBLISH_VERSION\tSUCCEEDED\tHASH\tBEGIN_TIME\tSTATUS\tSIZE")
			for _, r := range revs {
				fmt.Fprintf(w, "%s\t%s\t%t\t%s\t%s\t%s\t%s\n", r.Name, orDash(r.PublishVersion), r.Succeeded, orDash(r.Hash),
					r.BeginTime.Local().Format(time.DateTime), r.Status, size(r.Size))
			}
			return w.Flush()
		},
	}
	target.addFlags(cmd)
	addOutputFlag(cmd, &output)
	return cmd
}

func newRevisionGetCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var target appTarget
	var output string
	cmd := &cobra.Command{
		Use:   "get APP REVISION",
		Short: "Show one revision: its workflow outcome and the Application spec it snapshotted (REVISION: app-v2, v2 or 2)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, app, err := target.get(ctx, args[0])
			if err != nil {
				return err
			}
			rev, err := application.GetRevision(ctx, c, app, args[1])
			if err != nil {
				return err
			}
			// A revision stored compressed was decoded on reading; shown without its
			// compression type, it is printed decoded instead of compressed again.
			rev.Spec.Compression = v1beta1.CompressedText{}
			if done, err := printData(streams.Out, output, rev); done {
				return err
			}
			r := application.DescribeRevision(app, rev)
			fmt.Fprintf(streams.Out, "Name:            %s\nPublish version: %s\nSucceeded:       %t\nHash:            %s\nCreated:         %s (%s ago)\nWorkflow:        %s\n",
				r.Name, orDash(r.PublishVersion), r.Succeeded, orDash(r.Hash), r.BeginTime.Local().Format(time.DateTime),
				duration.HumanDuration(time.Since(r.BeginTime)), r.Status)
			spec, err := yaml.Marshal(rev.Spec.Application.Spec)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(streams.Out, "Application spec:\n%s", indent(string(spec)))
			return err
		},
	}
	target.addFlags(cmd)
	addOutputFlag(cmd, &output)
	return cmd
}

// indent prefixes every line of s with two spaces.
func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ") + "\n"
}

// size formats a byte count as KubeVela's revision list does (23.7 KiB).
func size(n int) string {
	if n < 1024 {
		return strconv.Itoa(n) + " B"
	}
	return fmt.Sprintf("%.1f KiB", float64(n)/1024)
}
