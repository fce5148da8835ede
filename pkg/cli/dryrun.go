package cli

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"velad.io/velad/pkg/appfile"
)

type dryRunFlags struct {
	file string
	defSource
}

// NewDryRunCommand returns `vela dry-run`: render an Application's manifests
// without applying them. getConfig may be nil; without a reachable cluster
// (or with --offline) the built-in and -d definitions are used.
func NewDryRunCommand(streams genericiooptions.IOStreams, getConfig RESTConfigGetter) *cobra.Command {
	f := &dryRunFlags{}
	cmd := &cobra.Command{
		Use:   "dry-run -f app.yaml [-d definitions/] [--offline]",
		Short: "Render an application's Kubernetes objects without applying them",
		Example: `  vela dry-run -f app.yaml
  vela dry-run -f app.yaml -d my-definitions/ --offline
  cat app.yaml | vela dry-run -f -`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			data, err := readInput(f.file, streams.In)
			if err != nil {
				return err
			}
			app, err := appfile.ParseApplicationYAML(data)
			if err != nil {
				return fmt.Errorf("reading %s: %w", f.file, err)
			}
			if f.namespace == "" {
				f.namespace = app.Namespace
			}
			loader, err := f.loader(c.Context(), getConfig, streams.ErrOut)
			if err != nil {
				return err
			}
			e, err := newEngine()
			if err != nil {
				return err
			}
			af, err := appfile.NewParser(loader).Parse(c.Context(), app)
			if err != nil {
				return err
			}
			ms, err := af.Render(c.Context(), e, appfile.RenderOptions{})
			if err != nil {
				return err
			}
			ps, err := af.RenderPolicies(c.Context(), e, appfile.RenderOptions{})
			if err != nil {
				return err
			}
			if err := appfile.WriteManifests(streams.Out, app.Name, ms); err != nil {
				return err
			}
			return appfile.WritePolicyManifests(streams.Out, app.Name, ps)
		},
	}
	cmd.Flags().StringVarP(&f.file, "file", "f", "", "the Application file (\"-\" for stdin)")
	_ = cmd.MarkFlagRequired("file")
	f.addFlags(cmd)
	return cmd
}

// readInput reads a file, or in when name is "-".
func readInput(name string, in io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(in)
	}
	return os.ReadFile(name)
}
