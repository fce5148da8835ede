package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/application"
)

type lsFlags struct {
	target appTarget
	all    bool
	output string
}

func newLsCommand(streams genericiooptions.IOStreams) *cobra.Command {
	f := &lsFlags{}
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List Applications: components, types, traits, phase and health",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return f.run(cmd.Context(), streams.Out)
		},
	}
	f.target.addFlags(cmd)
	cmd.Flags().BoolVarP(&f.all, "all-namespaces", "A", false, "list Applications in every namespace")
	addOutputFlag(cmd, &f.output)
	return cmd
}

func (f *lsFlags) run(ctx context.Context, out io.Writer) error {
	c, ns, err := f.target.connect()
	if err != nil {
		return err
	}
	var list v1beta1.ApplicationList
	var opts []client.ListOption
	if !f.all {
		opts = append(opts, client.InNamespace(ns))
	}
	if err := c.List(ctx, &list, opts...); err != nil {
		return fmt.Errorf("listing applications: %w", err)
	}
	sort.Slice(list.Items, func(i, j int) bool {
		a, b := list.Items[i], list.Items[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	for i := range list.Items {
		list.Items[i].ManagedFields = nil
		list.Items[i].SetGroupVersionKind(v1beta1.ApplicationGroupVersionKind)
	}
	if done, err := printData(out, f.output, list.Items); done {
		return err
	}
	if len(list.Items) == 0 {
		where := fmt.Sprintf("in namespace %q", ns)
		if f.all {
			where = "in any namespace"
		}
		fmt.Fprintf(out, "no applications %s: create one with vela up -f app.yaml\n", where)
		return nil
	}
	return printAppTable(out, list.Items, f.all)
}

// printAppTable writes KubeVela's `vela ls` table: one row per component, the app name
// on the first and ├─ on the others.
func printAppTable(w io.Writer, apps []v1beta1.Application, withNamespace bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := "APP\tCOMPONENT\tTYPE\tTRAITS\tPHASE\tHEALTHY\tSTATUS\tCREATED-TIME"
	if withNamespace {
		header = "NAMESPACE\t" + header
	}
	fmt.Fprintln(tw, header)
	for _, app := range apps {
		services := aggregateServices(app.Status.Services)
		rows := app.Spec.Components
		if len(rows) == 0 {
			rows = []v1beta1.ApplicationComponent{{}}
		}
		for i, comp := range rows {
			name := app.Name
			if i > 0 {
				name = "├─"
			}
			traits := make([]string, 0, len(comp.Traits))
			for _, t := range comp.Traits {
				traits = append(traits, t.Type)
			}
			healthy, message := "", ""
			if s, ok := services[comp.Name]; ok {
				healthy, message = "unhealthy", s.message
				if s.healthy {
					healthy = "healthy"
				}
			}
			if m := failedCondition(&app); m != "" && i == 0 {
				message = m
			}
			row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", name, comp.Name, comp.Type, strings.Join(traits, ","),
				app.Status.Phase, healthy, singleLine(message), app.CreationTimestamp.Format("2006-01-02 15:04:05 -0700 MST"))
			if withNamespace {
				row = app.Namespace + "\t" + row
			}
			fmt.Fprintln(tw, row)
		}
	}
	return tw.Flush()
}

// componentHealth is a component's health over every cluster and namespace it was delivered to.
type componentHealth struct {
	healthy bool
	message string
}

// aggregateServices folds the status entries of each component (one per placement):
// healthy when all are, with the messages of the unhealthy ones, prefixed by their
// cluster when the component went to more than one.
func aggregateServices(list []v1beta1.ApplicationComponentStatus) map[string]componentHealth {
	count := map[string]int{}
	for _, s := range list {
		count[s.Name]++
	}
	out := map[string]componentHealth{}
	for _, s := range list {
		h, seen := out[s.Name]
		if !seen {
			h.healthy = true
		}
		h.healthy = h.healthy && s.Healthy
		msg := s.Message
		if count[s.Name] > 1 && !s.Healthy && msg != "" {
			cluster := s.Cluster
			if cluster == "" {
				cluster = application.LocalCluster
			}
			msg = cluster + ": " + msg
		}
		if count[s.Name] == 1 || (!s.Healthy && msg != "") {
			h.message = strings.TrimPrefix(h.message+"; "+msg, "; ")
		}
		out[s.Name] = h
	}
	return out
}

// failedCondition is "Type: message" of the Application's first false condition, if any.
func failedCondition(app *v1beta1.Application) string {
	for _, c := range app.Status.Conditions {
		if c.Status == "False" && c.Message != "" {
			return fmt.Sprintf("%s: %s", c.Type, c.Message)
		}
	}
	return ""
}

// maxStatusWidth keeps the table readable; `vela status <app>` shows the whole message.
const maxStatusWidth = 80

// singleLine keeps a status message on its row, cut to maxStatusWidth runes.
func singleLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxStatusWidth {
		s = string(r[:maxStatusWidth-1]) + "…"
	}
	return s
}
