package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"velad.io/velad/pkg/addon"
	"velad.io/velad/pkg/log"
)

// newAddonCommand returns `vela addon`: list, enable, disable and inspect addons.
func newAddonCommand(streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "addon",
		Short: "Manage addons: list, enable, disable, status and registries",
		Long: `Manage addons in KubeVela's format. velad ships its own addons inside the binary
(registry "velad", no network needed); any KubeVela addon directory on disk can be
enabled by its path. An enabled addon is the Application addon-<name> in vela-system.`,
	}
	cmd.AddCommand(
		newAddonListCommand(streams),
		newAddonEnableCommand(streams),
		newAddonDisableCommand(streams),
		newAddonStatusCommand(streams),
		newAddonRegistryCommand(streams),
	)
	return cmd
}

// addonManager connects an addon manager to the cluster in $KUBECONFIG, searching the
// embedded registry first and then the registries added with vela addon registry add.
func addonManager(ctx context.Context, w io.Writer) (*addon.Manager, error) {
	cfg, err := kubeRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("loading kubeconfig: %w", err)
	}
	m, err := addon.New(cfg, addon.Options{Logger: log.Writer{W: w}, Registries: addon.Registries{addon.EmbeddedRegistry()}})
	if err != nil {
		return nil, err
	}
	return m, m.UseStoredRegistries(ctx)
}

func newAddonListCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List addons: name, registry, description, available versions and status",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := addonManager(cmd.Context(), streams.ErrOut)
			if err != nil {
				return err
			}
			items, errs := m.List(cmd.Context())
			for _, e := range errs {
				fmt.Fprintf(streams.ErrOut, "WARNING: %v\n", e)
			}
			if items == nil && len(errs) > 0 {
				return errs[0]
			}
			if done, err := printData(streams.Out, output, items); done {
				return err
			}
			tw := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tREGISTRY\tDESCRIPTION\tAVAILABLE-VERSIONS\tSTATUS")
			for _, it := range items {
				status := it.State
				if it.EnabledVersion != "" {
					status += " (" + it.EnabledVersion + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t[%s]\t%s\n", it.Name, it.Registry, it.Description, strings.Join(it.Versions, ", "), status)
			}
			return tw.Flush()
		},
	}
	addOutputFlag(cmd, &output)
	return cmd
}

type addonEnableFlags struct {
	clusters []string
	timeout  time.Duration
	noWait   bool
}

func newAddonEnableCommand(streams genericiooptions.IOStreams) *cobra.Command {
	f := &addonEnableFlags{}
	cmd := &cobra.Command{
		Use:   "enable NAME|PATH [KEY=VALUE...]",
		Short: "Enable an addon (and its dependencies) from a registry or a local directory",
		Long: `Enable an addon: its parameters are stored in the Secret addon-secret-<name>, its
definitions applied, its dependencies enabled first, and the Application addon-<name> is
applied in vela-system and waited for. Parameters from an earlier enable are kept unless
given again. A NAME containing a path separator (./my-addon) is a local addon directory.
KEY=VALUE takes Helm's --set syntax, as KubeVela does: dotted keys nest, integers and
true/false are typed, {a,b} is a list, a comma separates pairs (escape one in a value as
\,); a JSON array or object value ([...], {"k":...}) is taken as JSON.`,
		Example: `  vela addon enable velad-hello
  vela addon enable velad-hello message="Hi there" replicas=2
  vela addon enable ./my-addon --clusters local,member-1`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd.Context(), streams, args[0], args[1:])
		},
	}
	cmd.Flags().StringSliceVar(&f.clusters, "clusters", nil, "deliver the addon to these clusters (a topology policy)")
	cmd.Flags().DurationVar(&f.timeout, "timeout", addon.DefaultTimeout, "how long to wait for each addon Application to run")
	cmd.Flags().BoolVar(&f.noWait, "no-wait", false, "return once applied, without waiting for the Application to run")
	return cmd
}

func (f *addonEnableFlags) run(ctx context.Context, streams genericiooptions.IOStreams, target string, args []string) error {
	params, err := addon.ParseParameters(args)
	if err != nil {
		return err
	}
	m, err := addonManager(ctx, streams.Out)
	if err != nil {
		return err
	}
	var a *addon.Addon
	if isAddonPath(target) {
		a, err = addon.LoadDir(target)
	} else {
		a, err = m.Find(target)
	}
	if err != nil {
		return err
	}
	done, err := m.Enable(ctx, a, addon.EnableOptions{Parameters: params, Clusters: f.clusters, Timeout: f.timeout, NoWait: f.noWait})
	if err != nil {
		return err
	}
	for _, e := range done {
		fmt.Fprintf(streams.Out, "Addon %s enabled (version %s).\n", e.Addon.Meta.Name, e.Addon.Meta.Version)
		if e.Rendered.Notes != "" {
			fmt.Fprintln(streams.Out, e.Rendered.Notes)
		}
	}
	return nil
}

// isAddonPath reports whether an enable target is a directory path rather than a name.
func isAddonPath(target string) bool {
	if strings.ContainsRune(target, filepath.Separator) || strings.ContainsRune(target, '/') || target == "." || target == ".." {
		return true
	}
	st, err := os.Stat(target)
	return err == nil && st.IsDir() && fileExists(filepath.Join(target, addon.MetadataFile))
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func newAddonDisableCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var force bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "disable NAME",
		Short: "Disable an addon: delete its Application, definitions and parameters",
		Long: `Disable an addon. It is refused while Applications use one of the addon's definitions
(they are named); --force disables anyway, leaving those Applications without the types.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := addonManager(cmd.Context(), streams.Out)
			if err != nil {
				return err
			}
			if err := m.Disable(cmd.Context(), args[0], addon.DisableOptions{Force: force, Timeout: timeout}); err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "Addon %s disabled.\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "disable even while Applications use the addon's definitions")
	cmd.Flags().DurationVar(&timeout, "timeout", addon.DefaultTimeout, "how long to wait for the Application to be deleted")
	return cmd
}

func newAddonStatusCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "status NAME",
		Short: "Show whether an addon is enabled, its version, phase, parameters and definitions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := addonManager(cmd.Context(), streams.ErrOut)
			if err != nil {
				return err
			}
			st, err := m.Status(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if done, err := printData(streams.Out, output, st); done {
				return err
			}
			printAddonStatus(streams.Out, st)
			return nil
		},
	}
	addOutputFlag(cmd, &output)
	return cmd
}

func printAddonStatus(w io.Writer, st *addon.Status) {
	if st.State != addon.StateEnabled {
		fmt.Fprintf(w, "addon %s: %s (enable it with vela addon enable %s)\n", st.Name, st.State, st.Name)
		return
	}
	fmt.Fprintf(w, "addon %s: %s\n", st.Name, st.State)
	fmt.Fprintf(w, "  version:     %s\n  registry:    %s\n  application: %s/%s (%s)\n", st.Version, st.Registry, addon.Namespace, addon.AppName(st.Name), st.Message)
	if st.URL != "" {
		fmt.Fprintf(w, "  url:         %s\n", st.URL)
	}
	if len(st.Clusters) > 0 {
		fmt.Fprintf(w, "  clusters:    %s\n", strings.Join(st.Clusters, ", "))
	}
	if len(st.Definitions) > 0 {
		fmt.Fprintf(w, "  definitions: %s\n", strings.Join(st.Definitions, ", "))
	}
	if len(st.Views) > 0 {
		fmt.Fprintf(w, "  views:       %s (vela ql --query \"<view>{key=value}\")\n", strings.Join(st.Views, ", "))
	}
	if len(st.Parameters) > 0 {
		params, _ := json.Marshal(st.Parameters)
		fmt.Fprintf(w, "  parameters:  %s\n", params)
	}
}

func newAddonRegistryCommand(streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "List, add and delete addon registries (the embedded one and local directories)",
		Long: `Addon registries are searched in order by vela addon enable and listed by vela addon list.
The embedded registry "velad" is built in and always first. Directory registries (one addon
per subdirectory) are stored, as KubeVela stores its registries, in the ConfigMap
vela-addon-registry in vela-system. Git and Helm registries KubeVela added there are listed,
but velad does not read them: it stays offline.`,
	}
	cmd.AddCommand(newAddonRegistryListCommand(streams), newAddonRegistryAddCommand(streams), newAddonRegistryDeleteCommand(streams))
	return cmd
}

func newAddonRegistryListCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var output string
	list := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List addon registries",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := addonManager(cmd.Context(), streams.ErrOut)
			if err != nil {
				return err
			}
			regs := m.Registries()
			if done, err := printData(streams.Out, output, regs); done {
				return err
			}
			tw := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tTYPE\tLOCATION\tADDONS")
			for _, r := range regs {
				count := "-"
				if names, err := r.Names(); err == nil {
					count = fmt.Sprint(len(names))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Kind, r.Location, count)
			}
			return tw.Flush()
		},
	}
	addOutputFlag(list, &output)
	return list
}

func newAddonRegistryAddCommand(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:     "add NAME DIRECTORY",
		Short:   "Add a local directory (one addon per subdirectory) as a registry",
		Example: "  vela addon registry add mine ~/src/my-addons",
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := addonManager(cmd.Context(), streams.ErrOut)
			if err != nil {
				return err
			}
			if err := m.AddRegistry(cmd.Context(), args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "Registry %s added.\n", args[0])
			return nil
		},
	}
}

func newAddonRegistryDeleteCommand(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:     "delete NAME",
		Aliases: []string{"rm"},
		Short:   "Delete an added registry (enabled addons stay enabled)",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := addonManager(cmd.Context(), streams.ErrOut)
			if err != nil {
				return err
			}
			if err := m.DeleteRegistry(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "Registry %s deleted.\n", args[0])
			return nil
		},
	}
}
