package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/application"
)

func newWorkflowCommand(streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "workflow",
		Short: "Operate the delivery workflow of an Application: suspend, resume, terminate, restart, rollback, logs",
	}
	for _, op := range workflowOps() {
		cmd.AddCommand(newWorkflowOpCommand(streams, op))
	}
	cmd.AddCommand(newWorkflowLogsCommand(streams))
	return cmd
}

// workflowOp is one `vela workflow` verb: it changes the Application's status or spec so
// the controller acts on it, and returns what to tell the user.
type workflowOp struct {
	use, short string
	do         func(ctx context.Context, c client.Client, app *v1beta1.Application) (string, error)
}

// workflowOps lists the verbs that change the workflow, in help order.
func workflowOps() []workflowOp {
	return []workflowOp{
		{use: "suspend", short: "Suspend the workflow: running steps stop at their next check until resumed",
			do: func(ctx context.Context, c client.Client, app *v1beta1.Application) (string, error) {
				suspended, err := application.Suspend(ctx, c, app)
				if !suspended && err == nil {
					return "the workflow has finished; nothing to suspend", nil
				}
				return "workflow suspended; resume it with vela workflow resume " + app.Name, err
			}},
		{use: "resume", short: "Resume a suspended workflow (also completes a suspend step)",
			do: func(ctx context.Context, c client.Client, app *v1beta1.Application) (string, error) {
				resumed, err := application.Resume(ctx, c, app)
				if !resumed && err == nil {
					return "the workflow is not suspended; nothing to resume", nil
				}
				return "workflow resumed", err
			}},
		{use: "terminate", short: "Terminate the workflow: running and suspended steps fail, nothing runs until restart",
			do: func(ctx context.Context, c client.Client, app *v1beta1.Application) (string, error) {
				return "workflow terminated; run it again with vela workflow restart " + app.Name, application.Terminate(ctx, c, app)
			}},
		{use: "restart", short: "Restart the workflow from its first step",
			do: func(ctx context.Context, c client.Client, app *v1beta1.Application) (string, error) {
				return "workflow restarted", application.Restart(ctx, c, app)
			}},
		{use: "rollback", short: "Roll the Application back to its last successful revision (spec and workflow state)",
			do: func(ctx context.Context, c client.Client, app *v1beta1.Application) (string, error) {
				rev, err := application.Rollback(ctx, c, app)
				if err != nil {
					return "", err
				}
				return "rolled back to revision " + rev.Name, nil
			}},
	}
}

func newWorkflowOpCommand(streams genericiooptions.IOStreams, op workflowOp) *cobra.Command {
	var target appTarget
	cmd := &cobra.Command{
		Use:   op.use + " APP",
		Short: op.short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, app, err := target.get(ctx, args[0])
			if err != nil {
				return err
			}
			msg, err := op.do(ctx, c, app)
			if err != nil {
				return workflowError(op.use, app, err)
			}
			fmt.Fprintf(streams.Out, "application %s/%s: %s\n", app.Namespace, app.Name, msg)
			return nil
		},
	}
	target.addFlags(cmd)
	return cmd
}

// workflowError explains a refused workflow operation.
func workflowError(verb string, app *v1beta1.Application, err error) error {
	if errors.Is(err, application.ErrNoWorkflow) {
		return fmt.Errorf("cannot %s application %q: its workflow has not started (%s)", verb, app.Name, application.Describe(app))
	}
	return fmt.Errorf("cannot %s application %q: %w", verb, app.Name, err)
}

func newWorkflowLogsCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var target appTarget
	var step string
	cmd := &cobra.Command{
		Use:   "logs APP",
		Short: "Print the logs the workflow steps recorded",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, app, err := target.get(ctx, args[0])
			if err != nil {
				return err
			}
			logs, err := application.StepLogs(ctx, c, app, step)
			if err != nil {
				return workflowError("show the logs of", app, err)
			}
			return printStepLogs(streams.Out, app, step, logs)
		},
	}
	target.addFlags(cmd)
	cmd.Flags().StringVarP(&step, "step", "s", "", "only this step")
	return cmd
}

func printStepLogs(w io.Writer, app *v1beta1.Application, step string, logs map[string]string) error {
	if len(logs) == 0 {
		which := "its steps"
		if step != "" {
			which = fmt.Sprintf("step %q", step)
		}
		_, err := fmt.Fprintf(w, "no logs recorded for %s of application %q (steps record logs with op.#Log); vela status %s shows each step's phase and message\n",
			which, app.Name, app.Name)
		return err
	}
	names := make([]string, 0, len(logs))
	for n := range logs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "=== step %s\n", n)
		text := logs[n]
		if !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		if _, err := io.WriteString(w, text); err != nil {
			return err
		}
	}
	return nil
}
