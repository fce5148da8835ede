package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"k8s.io/client-go/rest"

	"velad.io/velad/pkg/addon"
	"velad.io/velad/pkg/cluster"
	"velad.io/velad/pkg/log"
)

// addonRequest is one addon `velad install --addons` enables, with its --set parameters.
type addonRequest struct {
	addon  *addon.Addon
	params map[string]any
}

// planInstallAddons resolves the --addons targets (embedded addon names or local addon
// directories) and gives each the --set <addon>.<key>=<value> parameters naming it, checking
// everything before the cluster is installed.
func planInstallAddons(targets, sets []string) ([]addonRequest, error) {
	reqs := make([]addonRequest, 0, len(targets))
	byName := map[string]int{}
	for _, t := range targets {
		var a *addon.Addon
		var err error
		if isAddonPath(t) {
			a, err = addon.LoadDir(t)
		} else {
			a, err = addon.Registries{addon.EmbeddedRegistry()}.Find(t)
		}
		if err != nil {
			return nil, fmt.Errorf("--addons %s: %w", t, err)
		}
		byName[a.Meta.Name] = len(reqs)
		reqs = append(reqs, addonRequest{addon: a})
	}
	args := make([][]string, len(reqs))
	for _, s := range sets {
		name, param, ok := strings.Cut(s, ".")
		i, known := byName[name]
		if !ok || !known || !strings.Contains(param, "=") {
			return nil, fmt.Errorf("--set %q: want <addon>.<key>=<value> for an addon named in --addons (%s)", s, strings.Join(addonNames(reqs), ", "))
		}
		args[i] = append(args[i], param)
	}
	for i := range reqs {
		var err error
		if reqs[i].params, err = addon.ParseParameters(args[i]); err != nil {
			return nil, fmt.Errorf("--set for addon %s: %w", reqs[i].addon.Meta.Name, err)
		}
	}
	return reqs, nil
}

func addonNames(reqs []addonRequest) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.addon.Meta.Name
	}
	return out
}

// enableInstallAddons enables reqs in order on the cluster cfg reaches, logging progress to w.
func enableInstallAddons(ctx context.Context, w io.Writer, cfg *rest.Config, reqs []addonRequest, opts addon.EnableOptions) error {
	if len(reqs) == 0 {
		return nil
	}
	m, err := addon.New(cfg, addon.Options{Logger: log.Writer{W: w}, Registries: addon.Registries{addon.EmbeddedRegistry()},
		CacheDir: cluster.AddonRegistryCacheDir()})
	if err != nil {
		return err
	}
	for _, r := range reqs {
		o := opts
		o.Parameters = r.params
		if _, err := m.Enable(ctx, r.addon, o); err != nil {
			return fmt.Errorf("enabling addon %s: %w", r.addon.Meta.Name, err)
		}
		fmt.Fprintf(w, "Addon %s enabled (version %s).\n", r.addon.Meta.Name, r.addon.Meta.Version)
	}
	return nil
}
