package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/appfile"
	"velad.io/velad/pkg/application"
)

type liveDiffFlags struct {
	appTarget
	file, revision string
	context        int
	definitions    []string
}

// newLiveDiffCommand returns `vela live-diff`: the difference between what an
// applied revision renders and the current Application, a file, or another revision.
func newLiveDiffCommand(streams genericiooptions.IOStreams) *cobra.Command {
	f := &liveDiffFlags{}
	cmd := &cobra.Command{
		Use:   "live-diff [APP] [-f app.yaml] [-r REVISION[,REVISION]]",
		Short: "Show the difference between an applied revision and the application, a file or another revision",
		Example: `  # the current application against the revision it runs
  vela live-diff my-app
  # the current application against revision my-app-v1
  vela live-diff my-app -r my-app-v1
  # two revisions
  vela live-diff -r my-app-v1,my-app-v2
  # a local file against the revision it would replace, 3 lines of context
  vela live-diff -f my-app.yaml -c 3`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			return f.run(c.Context(), streams, name)
		},
	}
	f.addFlags(cmd)
	cmd.Flags().StringVarP(&f.file, "file", "f", "", "an Application file to compare (\"-\" for stdin)")
	cmd.Flags().StringVarP(&f.revision, "revision", "r", "", "one revision to compare against, or two separated by a comma")
	cmd.Flags().IntVarP(&f.context, "context", "c", -1, "lines of context around each change (-1: show everything)")
	cmd.Flags().StringArrayVarP(&f.definitions, "definitions", "d", nil, "extra definition files or directories for the file or current application")
	return cmd
}

func (f *liveDiffFlags) run(ctx context.Context, streams genericiooptions.IOStreams, name string) error {
	revs := splitRevisions(f.revision)
	if len(revs) > 2 {
		return fmt.Errorf("--revision takes one or two revisions, got %d", len(revs))
	}
	if len(revs) == 2 && f.file != "" {
		return fmt.Errorf("compare two revisions or a file with a revision, not both: drop -f or one revision")
	}
	var fileApp *appfile.Application
	if f.file != "" {
		data, err := readInput(f.file, streams.In)
		if err != nil {
			return err
		}
		if fileApp, err = appfile.ParseApplicationYAML(data); err != nil {
			return fmt.Errorf("reading %s: %w", f.file, err)
		}
		if name == "" {
			name = fileApp.Name
		}
		if f.namespace == "" {
			f.namespace = fileApp.Namespace
		}
	}
	if name == "" && len(revs) > 0 {
		name = appOfRevision(revs[0])
	}
	if name == "" {
		return fmt.Errorf("name the application: vela live-diff APP, -f app.yaml, or -r APP-vN")
	}
	c, ns, err := f.connect()
	if err != nil {
		return err
	}
	app := &v1beta1.Application{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, app); err != nil {
		return fmt.Errorf("reading application %s/%s: %w", ns, name, err)
	}
	current, err := f.loader(c)
	if err != nil {
		return err
	}
	from, to, err := f.sides(ctx, c, app, current, revs, fileApp)
	if err != nil {
		return err
	}
	e, err := newEngine()
	if err != nil {
		return err
	}
	diff, err := application.LiveDiff(ctx, e, from, to, f.context)
	if err != nil {
		return err
	}
	if diff == "" {
		fmt.Fprintf(streams.Out, "%s and %s render the same\n", from.Name, to.Name)
		return nil
	}
	_, err = fmt.Fprint(streams.Out, diff)
	return err
}

// sides picks what to compare: a revision (the one named, else the latest)
// against the second revision, the file, or the current application.
func (f *liveDiffFlags) sides(ctx context.Context, c client.Client, app *v1beta1.Application, current appfile.Loader, revs []string, fileApp *appfile.Application) (application.DiffSide, application.DiffSide, error) {
	var none application.DiffSide
	base := ""
	if len(revs) > 0 {
		base = revs[0]
	} else if app.Status.LatestRevision != nil {
		base = app.Status.LatestRevision.Name
	} else {
		return none, none, fmt.Errorf("application %s has no revision yet: wait until it was delivered once", app.Name)
	}
	rev, err := application.GetRevision(ctx, c, app, base)
	if err != nil {
		return none, none, err
	}
	from, err := application.RevisionSide(rev, current)
	if err != nil {
		return none, none, err
	}
	switch {
	case len(revs) == 2:
		rev2, err := application.GetRevision(ctx, c, app, revs[1])
		if err != nil {
			return none, none, err
		}
		to, err := application.RevisionSide(rev2, current)
		return from, to, err
	case fileApp != nil:
		if fileApp.Namespace == "" {
			fileApp.Namespace = app.Namespace
		}
		return from, application.DiffSide{Name: f.file, App: fileApp, Loader: current}, nil
	}
	to, err := application.AppSide("application "+app.Name, app, current)
	return from, to, err
}

// loader supplies the definitions of the file or current application: -d,
// then the cluster's, then the built-in ones.
func (f *liveDiffFlags) loader(c client.Client) (appfile.Loader, error) {
	chain := appfile.Chain{}
	if len(f.definitions) > 0 {
		user, err := appfile.FromPaths(f.definitions...)
		if err != nil {
			return nil, err
		}
		chain = append(chain, user)
	}
	builtin, err := appfile.Builtin()
	if err != nil {
		return nil, err
	}
	return append(chain, &appfile.ClientLoader{Reader: c}, builtin), nil
}

func splitRevisions(s string) []string {
	var out []string
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// appOfRevision is APP of a revision named APP-vN ("" when it has no such suffix).
func appOfRevision(rev string) string {
	if application.RevisionNumber(rev) == 0 {
		return ""
	}
	return rev[:strings.LastIndex(rev, "-v")]
}
