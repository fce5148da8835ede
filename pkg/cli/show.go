package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"velad.io/velad/pkg/appfile"
	"velad.io/velad/pkg/cue"
)

// NewShowCommand returns `vela show <type>`: the parameters of a component,
// trait, policy or workflow-step type as a table.
func NewShowCommand(streams genericiooptions.IOStreams, getConfig RESTConfigGetter) *cobra.Command {
	src := &defSource{}
	cmd := &cobra.Command{
		Use:   "show <type>",
		Short: "Show the parameters of a component, trait, policy or workflow-step type",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			loader, err := src.loader(c.Context(), getConfig, streams.ErrOut)
			if err != nil {
				return err
			}
			def, err := findAnyKind(c.Context(), loader, args[0], src.namespace)
			if err != nil {
				return err
			}
			return showDefinition(c.Context(), streams.Out, def)
		},
	}
	src.addFlags(cmd)
	return cmd
}

// findAnyKind looks name up as a component, trait, policy, then workflow step.
func findAnyKind(ctx context.Context, l appfile.Loader, name, ns string) (*appfile.Definition, error) {
	for _, kind := range appfile.DefinitionKinds {
		d, err := l.Load(ctx, kind, name, ns)
		if err == nil {
			return d, nil
		}
		if !appfile.IsNotFound(err) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("no component, trait, policy or workflow-step type named %q (list them with `vela components`, `vela traits`, ...)", name)
}

// showDefinition prints a definition's description and parameter table.
func showDefinition(ctx context.Context, w io.Writer, def *appfile.Definition) error {
	e, err := newEngine()
	if err != nil {
		return err
	}
	params, err := e.Parameters(ctx, def.Template)
	if err != nil {
		return fmt.Errorf("%s %q: %w", def.Kind, def.Name, err)
	}
	fmt.Fprintf(w, "# %s %s\n", def.Kind, def.Name)
	if def.Description != "" {
		fmt.Fprintf(w, "%s\n", def.Description)
	}
	fmt.Fprintln(w)
	return writeParams(w, params)
}

func writeParams(w io.Writer, params []cue.Param) error {
	if len(params) == 0 {
		_, err := fmt.Fprintln(w, "(no parameters)")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tREQUIRED\tDEFAULT\tDESCRIPTION")
	for _, p := range params {
		name := p.Name
		if p.Short != "" {
			name += " (-" + p.Short + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\n", name, p.Type, p.Required, oneLine(p.Default), p.Usage)
	}
	return tw.Flush()
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return s
}
