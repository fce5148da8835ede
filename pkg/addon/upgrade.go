package addon

import (
	"context"
	"fmt"
)

// UpgradeOptions say how to upgrade an enabled addon.
type UpgradeOptions struct {
	EnableOptions
	// Registry to take the addon from; the registry it was enabled from when empty.
	Registry string
	// Version to move to; the registry's newest when empty.
	Version string
}

// Upgrade re-enables the enabled addon called name with the version opts ask for (the
// newest of its registry by default, possibly the same), keeping its stored parameters
// merged with opts.Parameters. An addon that is not enabled is an error wrapping
// ErrNotEnabled.
func (m *Manager) Upgrade(ctx context.Context, name string, opts UpgradeOptions) ([]Enabled, error) {
	app, err := m.enabledApp(ctx, name)
	if err != nil {
		return nil, err
	}
	if app == nil {
		return nil, fmt.Errorf("addon %s: %w: enable it with vela addon enable %s", name, ErrNotEnabled, name)
	}
	registry := opts.Registry
	if registry == "" {
		registry = app.Labels[LabelRegistry]
		if registry == LocalRegistryName {
			return nil, fmt.Errorf("addon %s was enabled from a local directory: upgrade it with vela addon enable <directory>, or name a registry with --registry", name)
		}
		if !m.hasRegistry(registry) {
			m.log.Warnf("addon %s was enabled from registry %q, which is no longer added: searching every registry", name, registry)
			registry = ""
		}
	}
	a, err := m.registries.FindVersion(name, registry, opts.Version)
	if err != nil {
		return nil, err
	}
	m.log.Infof("Upgrading addon %s from %s to %s (registry %s)", name, app.Labels[LabelVersion], a.Meta.Version, a.Registry)
	return m.Enable(ctx, a, opts.EnableOptions)
}

// FindVersion loads the addon called name from registry ("" for any) at version ("" for the newest).
func (m *Manager) FindVersion(name, registry, version string) (*Addon, error) {
	return m.registries.FindVersion(name, registry, version)
}

func (m *Manager) hasRegistry(name string) bool {
	for _, r := range m.registries {
		if r.Name == name {
			return true
		}
	}
	return false
}
