package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/application"
)

type deleteFlags struct {
	target  appTarget
	yes     bool
	wait    bool
	timeout time.Duration
}

func newDeleteCommand(streams genericiooptions.IOStreams) *cobra.Command {
	f := &deleteFlags{}
	cmd := &cobra.Command{
		Use:     "delete APP...",
		Aliases: []string{"rm"},
		Short:   "Delete Applications (the controller then removes the resources they own)",
		Example: `  vela delete first-vela-app -y --wait`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd.Context(), streams, args)
		},
	}
	f.target.addFlags(cmd)
	cmd.Flags().BoolVarP(&f.yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVarP(&f.wait, "wait", "w", false, "wait until the Applications are gone")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 5*time.Minute, "how long --wait waits")
	return cmd
}

func (f *deleteFlags) run(ctx context.Context, streams genericiooptions.IOStreams, names []string) error {
	c, ns, err := f.target.connect()
	if err != nil {
		return err
	}
	apps := make([]*v1beta1.Application, 0, len(names))
	for _, name := range names {
		app, err := application.Get(ctx, c, ns, name)
		if err != nil {
			return err
		}
		apps = append(apps, app)
	}
	if !f.yes {
		if err := confirm(streams, fmt.Sprintf("Delete application(s) %s in namespace %q and every resource they own?", strings.Join(names, ", "), ns)); err != nil {
			return err
		}
	}
	for _, app := range apps {
		if err := c.Delete(ctx, app); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting application %s/%s: %w", app.Namespace, app.Name, err)
		}
		fmt.Fprintf(streams.Out, "application %s/%s deleted\n", app.Namespace, app.Name)
	}
	if !f.wait {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	for _, app := range apps {
		p := newWaitPrinter(streams.ErrOut, "waiting for "+app.Name+" to be gone")
		err := application.WaitDeleted(ctx, c, app.Namespace, app.Name, func(a *v1beta1.Application) {
			p.update(application.Describe(a))
		})
		p.done()
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("application %s/%s is not gone after %s: %w (the controller removes its finalizer once its resources are deleted; is it running?)",
				app.Namespace, app.Name, f.timeout, err)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(streams.Out, "application %s/%s is gone\n", app.Namespace, app.Name)
	}
	return nil
}

// errNotConfirmed is returned when the user does not answer yes.
var errNotConfirmed = errors.New("not confirmed: nothing deleted (pass -y to skip the question)")

// confirm asks question on the streams and accepts y or yes.
func confirm(streams genericiooptions.IOStreams, question string) error {
	fmt.Fprintf(streams.Out, "%s (y/N): ", question)
	if streams.In == nil {
		fmt.Fprintln(streams.Out)
		return errNotConfirmed
	}
	line, err := bufio.NewReader(streams.In).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(streams.Out)
		return errNotConfirmed
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return errNotConfirmed
}
