package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
	"velad.io/velad/pkg/application"
)

type appStatusFlags struct {
	target appTarget
	tree   bool
	detail bool
	output string
}

func newAppStatusCommand(streams genericiooptions.IOStreams) *cobra.Command {
	f := &appStatusFlags{}
	cmd := &cobra.Command{
		Use:   "status APP",
		Short: "Show an Application: phase, workflow steps, services and traits, or the resources it owns (--tree)",
		Example: `  vela status first-vela-app
  vela status first-vela-app --tree --detail
  vela status first-vela-app -o yaml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd.Context(), streams.Out, args[0])
		},
	}
	f.target.addFlags(cmd)
	cmd.Flags().BoolVarP(&f.tree, "tree", "t", false, "show the resources the application owns, per cluster and namespace")
	cmd.Flags().BoolVarP(&f.detail, "detail", "d", false, "add step messages, service details and a DETAIL column to --tree")
	addOutputFlag(cmd, &f.output)
	return cmd
}

func (f *appStatusFlags) run(ctx context.Context, out io.Writer, name string) error {
	c, app, err := f.target.get(ctx, name)
	if err != nil {
		return err
	}
	if f.tree {
		res, err := application.ResourcesIn(ctx, c, app, memberClients(c))
		if err != nil {
			return err
		}
		if done, err := printData(out, f.output, res); done {
			return err
		}
		return printTree(out, app, res, f.detail)
	}
	app.ManagedFields = nil
	app.SetGroupVersionKind(v1beta1.ApplicationGroupVersionKind)
	if done, err := printData(out, f.output, app); done {
		return err
	}
	printAbout(out, app)
	printWorkflow(out, app, f.detail)
	printServices(out, app, f.detail)
	return nil
}

func printAbout(w io.Writer, app *v1beta1.Application) {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "About:\n\n")
	fmt.Fprintf(tw, "  Name:\t%s\n", app.Name)
	fmt.Fprintf(tw, "  Namespace:\t%s\n", app.Namespace)
	fmt.Fprintf(tw, "  Created at:\t%s\n", app.CreationTimestamp.Format("2006-01-02 15:04:05 -0700 MST"))
	phase := string(app.Status.Phase)
	if phase == "" {
		phase = "no status yet (is the controller running?)"
	}
	fmt.Fprintf(tw, "  Status:\t%s\n", phase)
	if v := app.Annotations[oam.AnnotationPublishVersion]; v != "" {
		fmt.Fprintf(tw, "  Publish version:\t%s\n", v)
	}
	if r := app.Status.LatestRevision; r != nil {
		fmt.Fprintf(tw, "  Revision:\t%s\n", r.Name)
	}
	_ = tw.Flush()
	for _, cond := range app.Status.Conditions {
		if cond.Status == "False" && cond.Message != "" {
			fmt.Fprintf(w, "  Error:     %s: %s\n", cond.Type, cond.Message)
		}
	}
	fmt.Fprintln(w)
}

func printWorkflow(w io.Writer, app *v1beta1.Application, detail bool) {
	wf := app.Status.Workflow
	if wf == nil {
		return
	}
	fmt.Fprintf(w, "Workflow:\n\n")
	fmt.Fprintf(w, "  mode: %s\n", wf.Mode)
	fmt.Fprintf(w, "  finished: %v\n", wf.Finished)
	fmt.Fprintf(w, "  Suspend: %v\n", wf.Suspend)
	fmt.Fprintf(w, "  Terminated: %v\n", wf.Terminated)
	if wf.Message != "" {
		fmt.Fprintf(w, "  message: %s\n", wf.Message)
	}
	fmt.Fprintln(w, "  Steps")
	for _, s := range wf.Steps {
		printStep(w, "  ", s.StepStatus, detail)
		for _, sub := range s.SubStepsStatus {
			printStep(w, "      ", sub, detail)
		}
	}
	fmt.Fprintln(w)
}

func printStep(w io.Writer, indent string, s v1beta1.StepStatus, detail bool) {
	fmt.Fprintf(w, "%s- id: %s\n", indent, s.ID)
	fmt.Fprintf(w, "%s  name: %s\n", indent, s.Name)
	fmt.Fprintf(w, "%s  type: %s\n", indent, s.Type)
	fmt.Fprintf(w, "%s  phase: %s\n", indent, s.Phase)
	if s.Phase == v1beta1.WorkflowStepPhaseFailed || detail {
		if s.Reason != "" {
			fmt.Fprintf(w, "%s  reason: %s\n", indent, s.Reason)
		}
		if s.Message != "" {
			fmt.Fprintf(w, "%s  message: %s\n", indent, s.Message)
		}
	}
	if detail && !s.FirstExecuteTime.IsZero() {
		fmt.Fprintf(w, "%s  started: %s, last run: %s\n", indent,
			s.FirstExecuteTime.Format(time.RFC3339), s.LastExecuteTime.Format(time.RFC3339))
	}
}

func printServices(w io.Writer, app *v1beta1.Application, detail bool) {
	if len(app.Status.Services) == 0 {
		return
	}
	types := map[string]string{}
	for _, c := range app.Spec.Components {
		types[c.Name] = c.Type
	}
	fmt.Fprintf(w, "Services:\n\n")
	for _, s := range app.Status.Services {
		cluster := s.Cluster
		if cluster == "" {
			cluster = application.LocalCluster
		}
		fmt.Fprintf(w, "  - Name: %s\n", s.Name)
		fmt.Fprintf(w, "    Cluster: %s  Namespace: %s\n", cluster, s.Namespace)
		fmt.Fprintf(w, "    Type: %s\n", types[s.Name])
		fmt.Fprintf(w, "    %s %s\n", healthWord(s.Healthy), s.Message)
		if detail {
			printDetails(w, "    ", s.Details)
		}
		if len(s.Traits) == 0 {
			fmt.Fprintln(w, "    No trait applied")
			continue
		}
		fmt.Fprintln(w, "    Traits:")
		for _, t := range s.Traits {
			mark := "✅"
			if !t.Healthy {
				mark = "❌"
			}
			msg := ""
			if t.Message != "" {
				msg = ": " + t.Message
			}
			fmt.Fprintf(w, "      %s %s%s\n", mark, t.Type, msg)
			if detail {
				printDetails(w, "        ", t.Details)
			}
		}
	}
	fmt.Fprintln(w)
}

func printDetails(w io.Writer, indent string, details map[string]string) {
	keys := make([]string, 0, len(details))
	for k := range details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "%s%s: %s\n", indent, k, details[k])
	}
}

func healthWord(ok bool) string {
	if ok {
		return "Healthy"
	}
	return "Unhealthy"
}

// printTree draws the resources per cluster and namespace, as KubeVela does:
//
//	CLUSTER      NAMESPACE      RESOURCE              STATUS
//	local    ─── default    ─┬─ Deployment/web        updated
//	                         └─ Service/web           updated
func printTree(w io.Writer, app *v1beta1.Application, res []application.Resource, detail bool) error {
	if len(res) == 0 {
		fmt.Fprintf(w, "application %s/%s owns no resources yet (%s)\n", app.Namespace, app.Name, application.Describe(app))
		return nil
	}
	cw, nw := len("CLUSTER"), len("NAMESPACE")
	for _, r := range res {
		cw, nw = max(cw, len(r.Cluster)), max(nw, len(dashIfEmpty(r.Namespace)))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := fmt.Sprintf("%-*s%-*sRESOURCE\tSTATUS", cw+5, "CLUSTER", nw+5, "NAMESPACE")
	if detail {
		header += "\tCOMPONENT\tDETAIL"
	}
	fmt.Fprintln(tw, header)
	for i, r := range res {
		line := fmt.Sprintf("%s%s/%s\t%s", treePrefix(res, i, cw, nw), r.Kind, r.Name, r.Status)
		if detail {
			comp := r.Component
			if r.Trait != "" {
				comp += " (" + r.Trait + ")"
			}
			line += "\t" + comp + "\t" + r.Detail
		}
		fmt.Fprintln(tw, line)
	}
	return tw.Flush()
}

// treePrefix draws the cluster and namespace columns of row i, with the connectors that
// join the rows of one cluster and of one namespace.
func treePrefix(res []application.Resource, i, cw, nw int) string {
	r := res[i]
	sameCluster := func(j int) bool { return j >= 0 && j < len(res) && res[j].Cluster == r.Cluster }
	sameNS := func(j int) bool { return sameCluster(j) && res[j].Namespace == r.Namespace }
	// laterNS reports whether another namespace of this cluster follows row i's.
	laterNS := func() bool {
		for j := i + 1; sameCluster(j); j++ {
			if res[j].Namespace != r.Namespace {
				return true
			}
		}
		return false
	}
	firstNS := !sameNS(i - 1)
	cluster, ns := "", ""
	var cConn, nConn string
	switch {
	case !sameCluster(i - 1):
		cluster, cConn = r.Cluster, "───"
		if laterNS() {
			cConn = "─┬─"
		}
	case firstNS && laterNS():
		cConn = " ├─"
	case firstNS:
		cConn = " └─"
	case laterNS():
		cConn = " │ "
	default:
		cConn = "   "
	}
	switch {
	case firstNS && !sameNS(i+1):
		ns, nConn = dashIfEmpty(r.Namespace), "───"
	case firstNS:
		ns, nConn = dashIfEmpty(r.Namespace), "─┬─"
	case sameNS(i + 1):
		nConn = " ├─"
	default:
		nConn = " └─"
	}
	return fmt.Sprintf("%-*s %s %-*s %s ", cw, cluster, cConn, nw, ns, nConn)
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
