package addon

import (
	"context"
	"fmt"
	"sort"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/application"
)

// Addon states shown by List and Status.
const (
	StateEnabled  = "enabled"
	StateDisabled = "disabled"
)

// Status is an addon's state in the cluster.
type Status struct {
	// Name of the addon.
	Name string `json:"name"`
	// State is StateEnabled or StateDisabled.
	State string `json:"status"`
	// Version is the enabled version.
	Version string `json:"version,omitempty"`
	// Registry is the registry it was enabled from.
	Registry string `json:"registry,omitempty"`
	// Phase is the addon Application's phase.
	Phase string `json:"phase,omitempty"`
	// Message summarises the Application's state (phase, step, failures).
	Message string `json:"message,omitempty"`
	// URL is where the addon serves (AnnotationURL), once it does.
	URL string `json:"url,omitempty"`
	// Parameters are the stored parameters.
	Parameters map[string]any `json:"parameters,omitempty"`
	// Clusters are the clusters the addon is delivered to, when restricted.
	Clusters []string `json:"clusters,omitempty"`
	// Definitions are the X-Definitions it installed ("TraitDefinition/x").
	Definitions []string `json:"definitions,omitempty"`
	// Views are the VelaQL views it installed (vela ql --query "<view>{...}").
	Views []string `json:"views,omitempty"`
}

// Status reads the state of the addon called name; a disabled addon is not an error.
func (m *Manager) Status(ctx context.Context, name string) (*Status, error) {
	app, err := m.enabledApp(ctx, name)
	if err != nil {
		return nil, err
	}
	if app == nil {
		return &Status{Name: name, State: StateDisabled}, nil
	}
	st := &Status{Name: name, State: StateEnabled, Version: app.Labels[LabelVersion], Registry: app.Labels[LabelRegistry],
		Phase: string(app.Status.Phase), Message: application.Describe(app), URL: app.Annotations[AnnotationURL]}
	if st.Parameters, err = m.storedParameters(ctx, name); err != nil {
		return nil, err
	}
	st.Clusters = clustersOf(st.Parameters)
	defs, err := m.definitions(ctx, name)
	if err != nil {
		return nil, err
	}
	for _, d := range defs {
		st.Definitions = append(st.Definitions, d.GetKind()+"/"+d.GetName())
	}
	views, err := m.views(ctx, name)
	if err != nil {
		return nil, err
	}
	for _, v := range views {
		st.Views = append(st.Views, v.Name)
	}
	return st, nil
}

// Item is one row of List.
type Item struct {
	// Name of the addon.
	Name string `json:"name"`
	// Registry holding it (or it was enabled from).
	Registry string `json:"registry"`
	// Description from metadata.yaml.
	Description string `json:"description,omitempty"`
	// Versions available in the registry.
	Versions []string `json:"availableVersions,omitempty"`
	// State is StateEnabled or StateDisabled.
	State string `json:"status"`
	// EnabledVersion is the version running, when enabled.
	EnabledVersion string `json:"enabledVersion,omitempty"`
}

// List returns the visible addons of every registry plus enabled addons that no registry
// holds (enabled from a directory), sorted by name. Addons that fail to load are
// returned as errors beside the list.
func (m *Manager) List(ctx context.Context) ([]Item, []error) {
	enabled, err := m.enabledApps(ctx)
	if err != nil {
		return nil, []error{err}
	}
	var items []Item
	var errs []error
	seen := map[string]bool{}
	for _, r := range m.registries {
		entries, lerrs := r.Entries()
		errs = append(errs, lerrs...)
		for _, e := range entries {
			if e.Invisible || seen[e.Name] {
				continue
			}
			seen[e.Name] = true
			items = append(items, itemOf(e.Name, r.Name, e.Description, e.Versions, enabled))
		}
	}
	for name, app := range enabled {
		if !seen[name] {
			items = append(items, itemOf(name, app.Labels[LabelRegistry], "", nil, enabled))
		}
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	return items, errs
}

func itemOf(name, registry, description string, versions []string, enabled map[string]*v1beta1.Application) Item {
	it := Item{Name: name, Registry: registry, Description: description, Versions: versions, State: StateDisabled}
	if app, ok := enabled[name]; ok {
		it.State, it.EnabledVersion = StateEnabled, app.Labels[LabelVersion]
	}
	return it
}

// enabledApps maps addon names to their Applications in vela-system.
func (m *Manager) enabledApps(ctx context.Context) (map[string]*v1beta1.Application, error) {
	list := &v1beta1.ApplicationList{}
	if err := m.c.List(ctx, list, client.InNamespace(Namespace), client.HasLabels{LabelName}); err != nil {
		return nil, fmt.Errorf("listing addon applications: %w", err)
	}
	out := map[string]*v1beta1.Application{}
	for i := range list.Items {
		out[list.Items[i].Labels[LabelName]] = &list.Items[i]
	}
	return out, nil
}
