package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"velad.io/velad/pkg/appfile"
	"velad.io/velad/pkg/cue/deffile"
)

// NewDefCommand returns `vela def`: work with X-Definitions. list, get and
// show read the cluster when one answers (else the built-ins and -d); apply
// needs a cluster; render, vet and init are offline.
func NewDefCommand(streams genericiooptions.IOStreams, getConfig RESTConfigGetter) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "def",
		Short: "Manage X-Definitions: list, get, show, apply, render, vet, init",
	}
	cmd.AddCommand(
		newDefListCommand(streams, getConfig),
		newDefGetCommand(streams, getConfig),
		newDefShowCommand(streams, getConfig),
		newDefApplyCommand(streams, getConfig),
		newDefRenderCommand(streams),
		newDefVetCommand(streams),
		newDefInitCommand(streams),
	)
	return cmd
}

// kindFlag maps --type (component|trait|policy|workflow-step) to a kind; "" means all.
func kindFlag(typ string) ([]string, error) {
	if typ == "" {
		return appfile.DefinitionKinds, nil
	}
	for _, k := range appfile.DefinitionKinds {
		if deffile.TypeOfKind(k) == typ {
			return []string{k}, nil
		}
	}
	return nil, fmt.Errorf("--type %q: want component, trait, policy or workflow-step", typ)
}

func newDefListCommand(streams genericiooptions.IOStreams, getConfig RESTConfigGetter) *cobra.Command {
	src := &defSource{}
	var typ string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List definitions",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			kinds, err := kindFlag(typ)
			if err != nil {
				return err
			}
			loader, err := src.loader(c.Context(), getConfig, streams.ErrOut)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tTYPE\tNAMESPACE\tDESCRIPTION")
			for _, k := range kinds {
				defs, err := loader.List(c.Context(), k, src.namespace)
				if err != nil {
					return err
				}
				for _, d := range defs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.Name, deffile.TypeOfKind(d.Kind), orDash(d.Namespace), d.Description)
				}
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVarP(&typ, "type", "t", "", "only this type: component, trait, policy or workflow-step")
	src.addFlags(cmd)
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// loadNamed finds a definition by name, optionally restricted by --type.
func loadNamed(ctx context.Context, l appfile.Loader, name, typ, ns string) (*appfile.Definition, error) {
	if typ == "" {
		return findAnyKind(ctx, l, name, ns)
	}
	kinds, err := kindFlag(typ)
	if err != nil {
		return nil, err
	}
	return l.Load(ctx, kinds[0], name, ns)
}

func newDefGetCommand(streams genericiooptions.IOStreams, getConfig RESTConfigGetter) *cobra.Command {
	src := &defSource{}
	var typ, format string
	cmd := &cobra.Command{
		Use:   "get <name>",
		Short: "Print a definition as a `vela def` CUE file (or -o yaml)",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			loader, err := src.loader(c.Context(), getConfig, streams.ErrOut)
			if err != nil {
				return err
			}
			d, err := loadNamed(c.Context(), loader, args[0], typ, src.namespace)
			if err != nil {
				return err
			}
			if format == "yaml" {
				b, err := yaml.Marshal(d.Object.Object)
				if err != nil {
					return err
				}
				_, err = streams.Out.Write(b)
				return err
			}
			out, err := deffile.FromObject(d.Object)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(streams.Out, out)
			return err
		},
	}
	cmd.Flags().StringVarP(&typ, "type", "t", "", "component, trait, policy or workflow-step (default: the first found)")
	cmd.Flags().StringVarP(&format, "output", "o", "cue", "cue or yaml")
	src.addFlags(cmd)
	return cmd
}

func newDefShowCommand(streams genericiooptions.IOStreams, getConfig RESTConfigGetter) *cobra.Command {
	src := &defSource{}
	var typ string
	cmd := &cobra.Command{
		Use:   "show <name>",
		Short: "Show a definition's parameters",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			loader, err := src.loader(c.Context(), getConfig, streams.ErrOut)
			if err != nil {
				return err
			}
			d, err := loadNamed(c.Context(), loader, args[0], typ, src.namespace)
			if err != nil {
				return err
			}
			return showDefinition(c.Context(), streams.Out, d)
		},
	}
	cmd.Flags().StringVarP(&typ, "type", "t", "", "component, trait, policy or workflow-step (default: the first found)")
	src.addFlags(cmd)
	return cmd
}

// readDefinitionFiles reads definitions from CUE def files or YAML files.
func readDefinitionFiles(paths []string) ([]*appfile.Definition, error) {
	set, err := appfile.FromPaths(paths...)
	if err != nil {
		return nil, err
	}
	var all []*appfile.Definition
	for _, k := range appfile.DefinitionKinds {
		defs, err := set.List(context.Background(), k, "")
		if err != nil {
			return nil, err
		}
		all = append(all, defs...)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("no definitions found in %s", strings.Join(paths, ", "))
	}
	return all, nil
}

func newDefRenderCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "render <file.cue>...",
		Short: "Convert `vela def` CUE files to YAML X-Definitions",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var docs []string
			for _, p := range args {
				src, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				obj, err := deffile.ToObject(string(src))
				if err != nil {
					return fmt.Errorf("%s: %w", p, err)
				}
				b, err := yaml.Marshal(obj.Object)
				if err != nil {
					return err
				}
				docs = append(docs, string(b))
			}
			text := strings.Join(docs, "---\n")
			if out != "" {
				return os.WriteFile(out, []byte(text), 0o644)
			}
			_, err := fmt.Fprint(streams.Out, text)
			return err
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of stdout")
	return cmd
}

func newDefVetCommand(streams genericiooptions.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "vet <file>...",
		Short: "Check that definitions (CUE def files or YAML) parse and their templates compile",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			defs, err := readDefinitionFiles(args)
			if err != nil {
				return err
			}
			e, err := newEngine()
			if err != nil {
				return err
			}
			failed := 0
			for _, d := range defs {
				if err := appfile.NewTemplate(d).Vet(c.Context(), e); err != nil {
					failed++
					fmt.Fprintf(streams.ErrOut, "✗ %v\n", err)
					continue
				}
				fmt.Fprintf(streams.Out, "✓ %s %s\n", d.Kind, d.Name)
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d definitions failed", failed, len(defs))
			}
			return nil
		},
	}
}

func newDefApplyCommand(streams genericiooptions.IOStreams, getConfig RESTConfigGetter) *cobra.Command {
	var dryRun bool
	namespace := appfile.SystemNamespace
	cmd := &cobra.Command{
		Use:   "apply <file>...",
		Short: "Apply definitions (CUE def files or YAML) to the cluster",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			defs, err := readDefinitionFiles(args)
			if err != nil {
				return err
			}
			if dryRun {
				for _, d := range defs {
					obj := d.Object.DeepCopy()
					obj.SetNamespace(namespace)
					b, err := yaml.Marshal(obj.Object)
					if err != nil {
						return err
					}
					fmt.Fprintf(streams.Out, "---\n%s", b)
				}
				return nil
			}
			cl, err := clusterReader(c.Context(), getConfig)
			if err != nil {
				return fmt.Errorf("vela def apply needs a cluster: %w", err)
			}
			for _, d := range defs {
				obj := d.Object.DeepCopy()
				obj.SetNamespace(namespace)
				verb, err := createOrUpdate(c.Context(), cl, obj)
				if err != nil {
					return fmt.Errorf("applying %s %q: %w", d.Kind, d.Name, err)
				}
				fmt.Fprintf(streams.Out, "%s %s %s/%s\n", d.Kind, d.Name, namespace, verb)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "print the objects instead of applying them")
	cmd.Flags().StringVarP(&namespace, "namespace", "n", namespace, "namespace to apply the definitions to")
	return cmd
}

// createOrUpdate writes obj, keeping the live resourceVersion on update.
func createOrUpdate(ctx context.Context, c client.Client, obj *unstructured.Unstructured) (string, error) {
	live := &unstructured.Unstructured{}
	live.SetGroupVersionKind(obj.GroupVersionKind())
	err := c.Get(ctx, client.ObjectKeyFromObject(obj), live)
	if apierrors.IsNotFound(err) {
		return "created", c.Create(ctx, obj)
	}
	if err != nil {
		return "", err
	}
	obj.SetResourceVersion(live.GetResourceVersion())
	return "updated", c.Update(ctx, obj)
}

// defSkeleton returns the template `vela def init` starts from for a type.
func defSkeleton(typ string) (string, bool) {
	switch typ {
	case "component":
		return `output: {
	apiVersion: "apps/v1"
	kind:       "Deployment"
	spec: {
		selector: matchLabels: "app.oam.dev/component": context.name
		template: {
			metadata: labels: "app.oam.dev/component": context.name
			spec: containers: [{name: context.name, image: parameter.image}]
		}
	}
}
parameter: {
	// +usage=Container image
	image: string
}`, true
	case "trait":
		return `patch: metadata: annotations: parameter
parameter: [string]: string`, true
	case "policy":
		return `parameter: {}`, true
	case "workflow-step":
		return `import "vela/op"

apply: op.#Apply & {value: parameter.object}
parameter: {
	// +usage=The Kubernetes object to apply
	object: {...}
}`, true
	}
	return "", false
}

func newDefInitCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var typ, desc, out string
	cmd := &cobra.Command{
		Use:   "init <name> --type component|trait|policy|workflow-step",
		Short: "Write a skeleton `vela def` CUE file",
		Args:  cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			body, ok := defSkeleton(typ)
			if !ok {
				return fmt.Errorf("--type %q: want component, trait, policy or workflow-step", typ)
			}
			kinds, _ := kindFlag(typ)
			obj := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{
				"schematic": map[string]any{"cue": map[string]any{"template": body}},
			}}}
			obj.SetAPIVersion(deffile.APIVersion)
			obj.SetKind(kinds[0])
			obj.SetName(args[0])
			if desc != "" {
				obj.SetAnnotations(map[string]string{appfile.DescriptionAnnotation: desc})
			}
			if typ == "trait" {
				obj.Object["spec"].(map[string]any)["appliesToWorkloads"] = []any{"*"}
			}
			text, err := deffile.FromObject(obj)
			if err != nil {
				return err
			}
			if out == "" {
				_, err = fmt.Fprint(streams.Out, text)
				return err
			}
			if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
				return err
			}
			return os.WriteFile(out, []byte(text), 0o644)
		},
	}
	cmd.Flags().StringVarP(&typ, "type", "t", "", "component, trait, policy or workflow-step")
	cmd.Flags().StringVar(&desc, "desc", "", "one-line description")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of stdout")
	_ = cmd.MarkFlagRequired("type")
	return cmd
}
