package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"velad.io/velad/pkg/appfile"
)

// NewComponentsCommand returns `vela components`: the component types available.
func NewComponentsCommand(streams genericiooptions.IOStreams, getConfig RESTConfigGetter) *cobra.Command {
	return newListTypesCommand(streams, getConfig, "components", "component", appfile.KindComponent)
}

// NewTraitsCommand returns `vela traits`: the trait types available.
func NewTraitsCommand(streams genericiooptions.IOStreams, getConfig RESTConfigGetter) *cobra.Command {
	return newListTypesCommand(streams, getConfig, "traits", "trait", appfile.KindTrait)
}

// NewPoliciesCommand returns `vela policies`: the policy types available.
func NewPoliciesCommand(streams genericiooptions.IOStreams, getConfig RESTConfigGetter) *cobra.Command {
	return newListTypesCommand(streams, getConfig, "policies", "policy", appfile.KindPolicy)
}

// NewWorkflowStepsCommand returns `vela workflowsteps`: the workflow-step types available.
func NewWorkflowStepsCommand(streams genericiooptions.IOStreams, getConfig RESTConfigGetter) *cobra.Command {
	return newListTypesCommand(streams, getConfig, "workflowsteps", "workflow-step", appfile.KindWorkflowStep)
}

func newListTypesCommand(streams genericiooptions.IOStreams, getConfig RESTConfigGetter, use, singular, kind string) *cobra.Command {
	src := &defSource{}
	var output string
	cmd := &cobra.Command{
		Use:   use,
		Short: fmt.Sprintf("List the %s types (%ss) available", singular, kind),
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			loader, err := src.loader(c.Context(), getConfig, streams.ErrOut)
			if err != nil {
				return err
			}
			defs, err := loader.List(c.Context(), kind, src.namespace)
			if err != nil {
				return err
			}
			if done, err := printData(streams.Out, output, summaries(defs)); done {
				return err
			}
			tw := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\t"+detailHeader(kind)+"\tDESCRIPTION")
			for _, d := range defs {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Name, detail(d), d.Description)
			}
			return tw.Flush()
		},
	}
	src.addFlags(cmd)
	addOutputFlag(cmd, &output)
	return cmd
}

// definitionSummary is the -o json|yaml form of a listed definition.
type definitionSummary struct {
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Namespace   string   `json:"namespace,omitempty"`
	Description string   `json:"description,omitempty"`
	Workload    string   `json:"workload,omitempty"`
	AppliesTo   []string `json:"appliesToWorkloads,omitempty"`
}

func summaries(defs []*appfile.Definition) []definitionSummary {
	out := make([]definitionSummary, 0, len(defs))
	for _, d := range defs {
		out = append(out, definitionSummary{Name: d.Name, Kind: d.Kind, Namespace: d.Namespace, Description: d.Description,
			Workload: workloadOf(d), AppliesTo: d.AppliesToWorkloads})
	}
	return out
}

func detailHeader(kind string) string {
	switch kind {
	case appfile.KindComponent:
		return "WORKLOAD"
	case appfile.KindTrait:
		return "APPLIES-TO"
	}
	return "NAMESPACE"
}

func detail(d *appfile.Definition) string {
	switch d.Kind {
	case appfile.KindComponent:
		return workloadOf(d)
	case appfile.KindTrait:
		if len(d.AppliesToWorkloads) == 0 {
			return "*"
		}
		return strings.Join(d.AppliesToWorkloads, ",")
	}
	if d.Namespace == "" {
		return "-"
	}
	return d.Namespace
}

func workloadOf(d *appfile.Definition) string {
	switch {
	case d.Workload.Type != "":
		return d.Workload.Type
	case d.Workload.Kind != "":
		return d.Workload.APIVersion + "." + d.Workload.Kind
	}
	return "-"
}
