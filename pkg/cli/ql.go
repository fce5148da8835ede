package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"velad.io/velad/pkg/application"
	"velad.io/velad/pkg/velaql"
)

type qlFlags struct {
	query, file, output string
}

// newQLCommand returns `vela ql`: evaluate a VelaQL view stored in the cluster or a view file.
func newQLCommand(streams genericiooptions.IOStreams) *cobra.Command {
	f := &qlFlags{}
	cmd := &cobra.Command{
		Use:   "ql (--query \"VIEW{KEY=VALUE,...}.FIELD\" | --file VIEW.cue [KEY=VALUE...])",
		Short: "Query resources with VelaQL views",
		Long: `Evaluate a VelaQL view and print the field it exports. A view is a CUE template that
reads the cluster with vela/ql (or vela/op) actions; addons install theirs as ConfigMaps in
vela-system (vela addon status lists them). --query names a stored view with its parameters
and optionally the field to print (default status); --file evaluates a view file directly,
with KEY=VALUE arguments filling its parameter. Strings print as they are, anything else as
JSON (-o yaml for YAML).`,
		Example: `  vela ql --query "helm-release{name=web,namespace=default}"
  vela ql --query "helm-release{name=web}.status.revisions"
  vela ql --file my-view.cue name=web`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd.Context(), streams.Out, args)
		},
	}
	cmd.Flags().StringVarP(&f.query, "query", "q", "", "the VelaQL statement: view{key=value,...}.field")
	cmd.Flags().StringVarP(&f.file, "file", "f", "", "a view file (CUE) to evaluate instead of a stored view")
	addOutputFlag(cmd, &f.output)
	return cmd
}

func (f *qlFlags) run(ctx context.Context, w io.Writer, args []string) error {
	if (f.query == "") == (f.file == "") {
		return fmt.Errorf("give exactly one of --query \"view{key=value}\" or --file view.cue")
	}
	if f.query != "" && len(args) > 0 {
		return fmt.Errorf("KEY=VALUE arguments go with --file; with --query put them in braces: view{%s}", strings.Join(args, ","))
	}
	cfg, err := kubeRESTConfig()
	if err != nil {
		return fmt.Errorf("loading kubeconfig: %w", err)
	}
	c, err := application.NewClient(cfg)
	if err != nil {
		return err
	}
	q, err := velaql.NewQuerier(c, memberClients(c))
	if err != nil {
		return err
	}
	var out any
	if f.query != "" {
		query, err := velaql.ParseQuery(f.query)
		if err != nil {
			return err
		}
		out, err = q.Query(ctx, query)
		if err != nil {
			return err
		}
	} else {
		data, err := os.ReadFile(f.file)
		if err != nil {
			return err
		}
		params := map[string]any{}
		for _, a := range args {
			k, v, ok := strings.Cut(a, "=")
			if !ok || k == "" {
				return fmt.Errorf("argument %q is not KEY=VALUE", a)
			}
			params[k] = velaql.ParseValue(v)
		}
		if out, err = q.Run(ctx, string(data), params, velaql.DefaultExport); err != nil {
			return fmt.Errorf("%s: %w", f.file, err)
		}
	}
	if s, ok := out.(string); ok && f.output == "" {
		_, err := fmt.Fprintln(w, s)
		return err
	}
	if f.output == "" {
		f.output = "json"
	}
	_, err = printData(w, f.output, out)
	return err
}
