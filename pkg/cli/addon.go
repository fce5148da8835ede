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
	"velad.io/velad/pkg/cluster"
	"velad.io/velad/pkg/log"
)

// newAddonCommand returns `vela addon`: list, enable, disable and inspect addons.
func newAddonCommand(streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "addon",
		Short: "Manage addons: list, enable, upgrade, disable, status, package, init and registries",
		Long: `Manage addons in KubeVela's format. velad ships its own addons inside the binary
(registry "velad", no network needed); any KubeVela addon directory on disk can be
enabled by its path, and helm- or git-type registries added with vela addon registry add
are read when the network reaches them. An enabled addon is the Application
addon-<name> in vela-system.`,
	}
	cmd.AddCommand(
		newAddonListCommand(streams),
		newAddonEnableCommand(streams),
		newAddonDisableCommand(streams),
		newAddonStatusCommand(streams),
		newAddonUpgradeCommand(streams),
		newAddonPackageCommand(streams),
		newAddonInitCommand(streams),
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
	m, err := addon.New(cfg, addon.Options{Logger: log.Writer{W: w}, Registries: addon.Registries{addon.EmbeddedRegistry()},
		CacheDir: cluster.AddonRegistryCacheDir()})
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
	registry string
	version  string
}

// bind adds the flags enable and upgrade share.
func (f *addonEnableFlags) bind(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&f.clusters, "clusters", nil, "deliver the addon to these clusters (a topology policy)")
	cmd.Flags().DurationVar(&f.timeout, "timeout", addon.DefaultTimeout, "how long to wait for each addon Application to run")
	cmd.Flags().BoolVar(&f.noWait, "no-wait", false, "return once applied, without waiting for the Application to run")
	cmd.Flags().StringVar(&f.registry, "registry", "", "take the addon from this registry (see vela addon registry list)")
	cmd.Flags().StringVar(&f.version, "version", "", "the addon version to enable (the registry's newest by default)")
}

func (f *addonEnableFlags) options(params map[string]any) addon.EnableOptions {
	return addon.EnableOptions{Parameters: params, Clusters: f.clusters, Timeout: f.timeout, NoWait: f.noWait}
}

func printEnabled(w io.Writer, done []addon.Enabled) {
	for _, e := range done {
		fmt.Fprintf(w, "Addon %s enabled (version %s).\n", e.Addon.Meta.Name, e.Addon.Meta.Version)
		if e.Rendered.Notes != "" {
			fmt.Fprintln(w, e.Rendered.Notes)
		}
	}
}

func newAddonEnableCommand(streams genericiooptions.IOStreams) *cobra.Command {
	f := &addonEnableFlags{}
	cmd := &cobra.Command{
		Use:   "enable NAME|PATH [KEY=VALUE...]",
		Short: "Enable an addon (and its dependencies) from a registry or a local directory",
		Long: `Enable an addon: its parameters are stored in the Secret addon-secret-<name>, its
definitions applied, its dependencies enabled first, and the Application addon-<name> is
applied in vela-system and waited for. Parameters from an earlier enable are kept unless
given again. A NAME containing a path separator (./my-addon) is a local addon directory;
otherwise the registries are searched in order (--registry picks one) for the newest
version (--version picks one).
KEY=VALUE takes Helm's --set syntax, as KubeVela does: dotted keys nest, integers and
true/false are typed, {a,b} is a list, a comma separates pairs (escape one in a value as
\,); a JSON array or object value ([...], {"k":...}) is taken as JSON.`,
		Example: `  vela addon enable velad-hello
  vela addon enable velad-hello message="Hi there" replicas=2
  vela addon enable ./my-addon --clusters local,member-1
  vela addon enable my-addon --registry my-helm-repo --version 1.2.0`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.run(cmd.Context(), streams, args[0], args[1:])
		},
	}
	f.bind(cmd)
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
		if f.registry != "" || f.version != "" {
			return fmt.Errorf("%s is a directory: --registry and --version pick an addon from a registry by name", target)
		}
		a, err = addon.LoadDir(target)
	} else {
		a, err = m.FindVersion(target, f.registry, f.version)
	}
	if err != nil {
		return err
	}
	done, err := m.Enable(ctx, a, f.options(params))
	if err != nil {
		return err
	}
	printEnabled(streams.Out, done)
	return nil
}

func newAddonUpgradeCommand(streams genericiooptions.IOStreams) *cobra.Command {
	f := &addonEnableFlags{}
	cmd := &cobra.Command{
		Use:   "upgrade NAME [KEY=VALUE...]",
		Short: "Upgrade an enabled addon to a newer (or the same) version from its registry",
		Long: `Upgrade an enabled addon: it is enabled again from the registry it was enabled from
(--registry picks another) at the newest version there (--version picks one, older ones
included). Its stored parameters (Secret addon-secret-<name>) are kept and KEY=VALUE
arguments are merged over them. An addon that is not enabled is an error: enable it.`,
		Example: `  vela addon upgrade velad-hello
  vela addon upgrade my-addon --version 1.1.0 replicas=3`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			params, err := addon.ParseParameters(args[1:])
			if err != nil {
				return err
			}
			m, err := addonManager(cmd.Context(), streams.Out)
			if err != nil {
				return err
			}
			done, err := m.Upgrade(cmd.Context(), args[0], addon.UpgradeOptions{EnableOptions: f.options(params), Registry: f.registry, Version: f.version})
			if err != nil {
				return err
			}
			printEnabled(streams.Out, done)
			return nil
		},
	}
	f.bind(cmd)
	return cmd
}

func newAddonPackageCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var outDir string
	var index bool
	cmd := &cobra.Command{
		Use:   "package DIRECTORY",
		Short: "Validate an addon directory and write it as <name>-<version>.tgz",
		Long: `Package an addon directory as KubeVela does: the addon is loaded and checked as enabling
checks it (errors name the file and line), then written as <name>-<version>.tgz, a gzipped
tar with the addon under a top directory named after it. A helm-type addon registry serves
such packages, listed by name and version in its index.yaml: --index (re)writes
<output>/index.yaml for every package there, so any static HTTP server of that directory
is a registry (vela addon registry add NAME --type helm --endpoint URL).`,
		Example: `  vela addon package ./my-addon -o ./repo --index`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := addon.Package(args[0], outDir)
			if err != nil {
				return err
			}
			fmt.Fprintf(streams.Out, "Addon packaged: %s\n", out)
			if index {
				if err := addon.WriteIndex(outDir); err != nil {
					return err
				}
				fmt.Fprintf(streams.Out, "Index written: %s\n", filepath.Join(outDir, addon.IndexFile))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&outDir, "output", "o", ".", "directory to write the package to")
	cmd.Flags().BoolVar(&index, "index", false, "also write <output>/index.yaml listing every package in <output> (a helm-type registry)")
	return cmd
}

func newAddonInitCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "init NAME",
		Short: "Create a new addon directory in KubeVela's format",
		Long: `Create the directory <path>/NAME holding a new addon: metadata.yaml, template.cue,
parameter.cue, resources/example.cue (a ConfigMap), definitions/, schemas/, views/ and
README.md. It can be enabled as it is with vela addon enable ./NAME.`,
		Example: `  vela addon init my-addon && vela addon enable ./my-addon message=hi`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			root, err := addon.Init(args[0], dir)
			if err != nil {
				return err
			}
			if !filepath.IsAbs(root) && !strings.HasPrefix(root, ".") {
				root = "." + string(filepath.Separator) + root
			}
			fmt.Fprintf(streams.Out, "Addon %s created in %s; enable it with vela addon enable %s\n", args[0], root, root)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "path", ".", "directory to create the addon in")
	return cmd
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
		Short: "List, add, update and delete addon registries (embedded, directory, helm, git)",
		Long: `Addon registries are searched in order by vela addon enable and listed by vela addon list.
The embedded registry "velad" is built in, always first, and needs no network. Added
registries are stored, as KubeVela stores them, in the ConfigMap vela-addon-registry in
vela-system (credentials included, as KubeVela does; they are never printed):
  --type helm  a helm-repository style HTTP catalog: <endpoint>/index.yaml lists addon
               packages (<name>-<version>.tgz, see vela addon package) by version;
               --username/--password for basic auth
  --type git   a Git repository (--path: its subdirectory holding the addons), cloned
               with the system git under the velad directory and fetched again on each
               list or enable; --token for HTTPS
  --type dir   a directory on this machine (the default when DIRECTORY is given)
Only helm and git registries use the network, and only when read.`,
	}
	cmd.AddCommand(newAddonRegistryListCommand(streams), newAddonRegistryAddCommand(streams),
		newAddonRegistryUpdateCommand(streams), newAddonRegistryDeleteCommand(streams))
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
				} else if r.Kind == addon.KindHelm || r.Kind == addon.KindGit {
					fmt.Fprintf(streams.ErrOut, "WARNING: %v\n", err)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, r.Kind, r.Location, count)
			}
			return tw.Flush()
		},
	}
	addOutputFlag(list, &output)
	return list
}

// registryFlags are the flags of vela addon registry add and update.
func registryFlags(cmd *cobra.Command, spec *addon.RegistrySpec) {
	cmd.Flags().StringVar(&spec.Type, "type", "", "registry type: helm, git or dir (dir when a DIRECTORY argument is given)")
	cmd.Flags().StringVar(&spec.Endpoint, "endpoint", "", "the helm catalog's URL or the git repository's URL (or the directory)")
	cmd.Flags().StringVar(&spec.Path, "path", "", "git: the repository's subdirectory holding the addons")
	cmd.Flags().StringVar(&spec.Username, "username", "", "helm: basic auth user name")
	cmd.Flags().StringVar(&spec.Password, "password", "", "helm: basic auth password")
	cmd.Flags().StringVar(&spec.Token, "token", "", "git: access token for HTTPS")
	cmd.Flags().StringVar(&spec.Token, "gitToken", "", "git: the same as --token (KubeVela's name for it)")
	cmd.Flags().BoolVar(&spec.InsecureSkipTLS, "insecure-skip-tls", false, "helm: do not verify the server's certificate")
}

func newAddonRegistryAddCommand(streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add NAME [DIRECTORY]",
		Short: "Add a registry: a helm catalog, a git repository or a local directory",
		Long: `Add a registry. It is read once before it is saved, so a wrong endpoint, path or
credential is reported at once. See vela addon registry --help for the types.`,
		Example: `  vela addon registry add experimental --type helm --endpoint https://addons.example.com/experimental
  vela addon registry add private --type helm --endpoint https://charts.example.com --username me --password secret
  vela addon registry add catalog --type git --endpoint https://github.com/kubevela/catalog --path addons
  vela addon registry add mine ~/src/my-addons`,
	}
	return registryWriteCommand(streams, cmd, "added", (*addon.Manager).AddRegistry)
}

func newAddonRegistryUpdateCommand(streams genericiooptions.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "update NAME [DIRECTORY]",
		Short:   "Change an added registry's endpoint, path or credentials",
		Long:    `Change an added registry. Flags not given keep their values while the type stays the same.`,
		Example: `  vela addon registry update experimental --endpoint https://addons.example.com/v2`,
	}
	return registryWriteCommand(streams, cmd, "updated", (*addon.Manager).UpdateRegistry)
}

// registryWriteCommand completes add or update: the registry flags, a DIRECTORY argument
// taken as a directory registry, and write storing the registry.
func registryWriteCommand(streams genericiooptions.IOStreams, cmd *cobra.Command, done string,
	write func(*addon.Manager, context.Context, addon.RegistrySpec) error) *cobra.Command {
	spec := &addon.RegistrySpec{}
	cmd.Args = cobra.RangeArgs(1, 2)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		spec.Name = args[0]
		if len(args) == 2 {
			if spec.Endpoint != "" || (spec.Type != "" && !addon.IsDirType(spec.Type)) {
				return fmt.Errorf("give either a DIRECTORY or --type/--endpoint, not both")
			}
			spec.Type, spec.Endpoint = addon.KindDirectory, args[1]
		}
		m, err := addonManager(cmd.Context(), streams.ErrOut)
		if err != nil {
			return err
		}
		if err := write(m, cmd.Context(), *spec); err != nil {
			return err
		}
		fmt.Fprintf(streams.Out, "Registry %s %s.\n", args[0], done)
		return nil
	}
	registryFlags(cmd, spec)
	return cmd
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
