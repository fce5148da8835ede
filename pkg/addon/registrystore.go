package addon

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// RegistryConfigMap is the ConfigMap in vela-system listing added registries, as KubeVela
// keeps them: key "registries" holds a JSON object of registries by name.
const RegistryConfigMap = "vela-addon-registry"

const registriesKey = "registries"

// storedRegistry is one entry of the registries ConfigMap. KubeVela's kinds (helm, git,
// oss, gitee, gitlab) are kept as they are and listed, but not read: velad stays offline.
type storedRegistry struct {
	Name string    `json:"name"`
	Dir  *dirEntry `json:"dir,omitempty"`
}

// dirEntry is velad's own registry kind: a directory on this machine.
type dirEntry struct {
	Path string `json:"path"`
}

// readStoredRegistries returns the registries ConfigMap's entries by name, raw.
func (m *Manager) readStoredRegistries(ctx context.Context) (map[string]json.RawMessage, error) {
	cm := &corev1.ConfigMap{}
	err := m.c.Get(ctx, client.ObjectKey{Namespace: Namespace, Name: RegistryConfigMap}, cm)
	if apierrors.IsNotFound(err) {
		return map[string]json.RawMessage{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading addon registries: %w", err)
	}
	out := map[string]json.RawMessage{}
	if data := cm.Data[registriesKey]; data != "" {
		if err := json.Unmarshal([]byte(data), &out); err != nil {
			return nil, fmt.Errorf("configmap %s/%s: %s is not a JSON object: %w", Namespace, RegistryConfigMap, registriesKey, err)
		}
	}
	return out, nil
}

func (m *Manager) writeStoredRegistries(ctx context.Context, regs map[string]json.RawMessage) error {
	data, err := json.Marshal(regs)
	if err != nil {
		return err
	}
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": RegistryConfigMap, "namespace": Namespace},
		"data":     map[string]any{registriesKey: string(data)},
	}}
	if err := m.ssa(ctx, cm); err != nil {
		return fmt.Errorf("writing addon registries: %w", err)
	}
	return nil
}

// UseStoredRegistries appends the registries added with AddRegistry (and any KubeVela
// Git/Helm registries, which are listed but not searched) to the Manager's registries.
func (m *Manager) UseStoredRegistries(ctx context.Context) error {
	raw, err := m.readStoredRegistries(ctx)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		m.registries = append(m.registries, registryOfEntry(n, raw[n]))
	}
	return nil
}

func registryOfEntry(name string, raw json.RawMessage) Registry {
	var entry map[string]json.RawMessage
	_ = json.Unmarshal(raw, &entry)
	var s storedRegistry
	if err := json.Unmarshal(raw, &s); err == nil && s.Dir != nil {
		return DirRegistry(name, s.Dir.Path)
	}
	for _, kind := range []string{"helm", "git", "oss", "gitee", "gitlab"} {
		if _, ok := entry[kind]; ok {
			return Registry{Name: name, Kind: kind, Location: "(needs the network; not read by velad)"}
		}
	}
	return Registry{Name: name, Kind: "unknown", Location: "(unrecognised entry)"}
}

// AddRegistry stores a directory registry under name; dir must exist.
func (m *Manager) AddRegistry(ctx context.Context, name, dir string) error {
	if name == "" || name == EmbeddedRegistryName || name == LocalRegistryName {
		return fmt.Errorf("registry name %q is reserved or empty: choose another", name)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return fmt.Errorf("registry %s: %s is not a directory", name, abs)
	}
	regs, err := m.readStoredRegistries(ctx)
	if err != nil {
		return err
	}
	if _, ok := regs[name]; ok {
		return fmt.Errorf("registry %s already exists: delete it first", name)
	}
	entry, err := json.Marshal(storedRegistry{Name: name, Dir: &dirEntry{Path: abs}})
	if err != nil {
		return err
	}
	regs[name] = entry
	return m.writeStoredRegistries(ctx, regs)
}

// DeleteRegistry removes a stored registry; enabled addons stay enabled.
func (m *Manager) DeleteRegistry(ctx context.Context, name string) error {
	regs, err := m.readStoredRegistries(ctx)
	if err != nil {
		return err
	}
	if _, ok := regs[name]; !ok {
		names := make([]string, 0, len(regs))
		for n := range regs {
			names = append(names, n)
		}
		sort.Strings(names)
		return fmt.Errorf("registry %s not found (added registries: %v; %s is built in)", name, names, EmbeddedRegistryName)
	}
	delete(regs, name)
	return m.writeStoredRegistries(ctx, regs)
}
