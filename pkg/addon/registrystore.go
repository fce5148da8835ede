package addon

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// RegistryConfigMap is the ConfigMap in vela-system listing added registries, as KubeVela
// keeps them: key "registries" holds a JSON object of registries by name.
const RegistryConfigMap = "vela-addon-registry"

const registriesKey = "registries"

// storedRegistry is one entry of the registries ConfigMap, in KubeVela's format: a name
// and one source. velad reads helm, git and its own directory kind; KubeVela's other
// kinds (oss, gitee, gitlab) are kept as they are and listed, not read.
type storedRegistry struct {
	Name string      `json:"name"`
	Helm *HelmSource `json:"helm,omitempty"`
	Git  *GitSource  `json:"git,omitempty"`
	Dir  *dirEntry   `json:"dir,omitempty"`
}

// dirEntry is velad's own registry kind: a directory on this machine.
type dirEntry struct {
	Path string `json:"path"`
}

// RegistrySpec is a registry to add or update (vela addon registry add|update).
type RegistrySpec struct {
	// Name identifies the registry.
	Name string
	// Type is KindHelm, KindGit or KindDirectory ("dir"); on update, "" keeps the type.
	Type string
	// Endpoint is the helm catalog's URL, the git repository's URL or the directory.
	Endpoint string
	// Path is the subdirectory of a git repository holding the addons.
	Path string
	// Username and Password authenticate to a helm registry.
	Username, Password string
	// Token authenticates to a git registry over HTTPS.
	Token string
	// InsecureSkipTLS skips verifying a helm registry's certificate.
	InsecureSkipTLS bool
}

// readStoredRegistries returns the registries ConfigMap's entries by name, raw.
func (m *Manager) readStoredRegistries(ctx context.Context) (map[string]json.RawMessage, error) {
	regs, _, err := m.readStoredRegistriesVersion(ctx)
	return regs, err
}

// readStoredRegistriesVersion is readStoredRegistries and the ConfigMap's resourceVersion
// ("" when there is none), which changes whenever a registry is added, updated or deleted.
func (m *Manager) readStoredRegistriesVersion(ctx context.Context) (map[string]json.RawMessage, string, error) {
	cm := &corev1.ConfigMap{}
	err := m.c.Get(ctx, client.ObjectKey{Namespace: Namespace, Name: RegistryConfigMap}, cm)
	if apierrors.IsNotFound(err) {
		return map[string]json.RawMessage{}, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("reading addon registries: %w", err)
	}
	out := map[string]json.RawMessage{}
	if data := cm.Data[registriesKey]; data != "" {
		if err := json.Unmarshal([]byte(data), &out); err != nil {
			return nil, "", fmt.Errorf("configmap %s/%s: %s is not a JSON object: %w", Namespace, RegistryConfigMap, registriesKey, err)
		}
	}
	return out, cm.ResourceVersion, nil
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

// UseStoredRegistries appends the registries added with AddRegistry (and KubeVela's
// helm and git registries) to the Manager's registries. Nothing is fetched until one is read.
func (m *Manager) UseStoredRegistries(ctx context.Context) error {
	raw, err := m.readStoredRegistries(ctx)
	if err != nil {
		return err
	}
	m.registries = append(m.registries, m.storedRegistries(raw)...)
	return nil
}

// WithStoredRegistries returns a copy of m that also searches the stored registries (as
// UseStoredRegistries; m itself is left as it is) and the stored set's version: a copy
// stays current until the version changes, so a long-running caller can keep it, and the
// catalogs it has read, while the version stays the same.
func (m *Manager) WithStoredRegistries(ctx context.Context) (*Manager, string, error) {
	raw, version, err := m.readStoredRegistriesVersion(ctx)
	if err != nil {
		return nil, "", err
	}
	c := *m
	c.registries = append(slices.Clip(m.registries), m.storedRegistries(raw)...)
	return &c, version, nil
}

// storedRegistries turns the stored entries into registries, by name.
func (m *Manager) storedRegistries(raw map[string]json.RawMessage) Registries {
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make(Registries, 0, len(names))
	for _, n := range names {
		out = append(out, m.registryOfEntry(n, raw[n]))
	}
	return out
}

func (m *Manager) registryOfEntry(name string, raw json.RawMessage) Registry {
	var s storedRegistry
	if err := json.Unmarshal(raw, &s); err == nil {
		switch {
		case s.Dir != nil:
			return DirRegistry(name, s.Dir.Path)
		case s.Helm != nil:
			return HelmRegistry(name, *s.Helm)
		case s.Git != nil:
			return GitRegistry(name, *s.Git, m.cacheDir)
		}
	}
	var entry map[string]json.RawMessage
	_ = json.Unmarshal(raw, &entry)
	for _, kind := range []string{"oss", "gitee", "gitlab"} {
		if _, ok := entry[kind]; ok {
			return Registry{Name: name, Kind: kind, Location: "(a KubeVela " + kind + " registry; not read by velad)"}
		}
	}
	return Registry{Name: name, Kind: "unknown", Location: "(unrecognised entry)"}
}

// entryOf turns spec into a stored entry; a directory must exist.
func entryOf(spec RegistrySpec) (storedRegistry, error) {
	s := storedRegistry{Name: spec.Name}
	if spec.Endpoint == "" {
		return s, fmt.Errorf("registry %s: --endpoint is empty (a URL, or a directory for --type dir)", spec.Name)
	}
	switch spec.Type {
	case KindHelm:
		s.Helm = &HelmSource{URL: spec.Endpoint, Username: spec.Username, Password: spec.Password, InsecureSkipTLS: spec.InsecureSkipTLS}
	case KindGit:
		s.Git = &GitSource{URL: spec.Endpoint, Path: strings.Trim(spec.Path, "/"), Token: spec.Token}
	case KindDirectory, "dir", "":
		abs, err := filepath.Abs(spec.Endpoint)
		if err != nil {
			return s, err
		}
		if st, err := os.Stat(abs); err != nil || !st.IsDir() {
			return s, fmt.Errorf("registry %s: %s is not a directory", spec.Name, abs)
		}
		s.Dir = &dirEntry{Path: abs}
	default:
		return s, fmt.Errorf("registry %s: unknown --type %q (use helm, git or dir)", spec.Name, spec.Type)
	}
	return s, nil
}

// AddRegistry stores a registry, after reading it once so a wrong endpoint, path or
// credential is reported now.
func (m *Manager) AddRegistry(ctx context.Context, spec RegistrySpec) error {
	if spec.Name == "" || spec.Name == EmbeddedRegistryName || spec.Name == LocalRegistryName {
		return fmt.Errorf("registry name %q is reserved or empty: choose another", spec.Name)
	}
	if !cacheableName(spec.Name) || strings.ContainsAny(spec.Name, " :") {
		return fmt.Errorf("registry name %q may not contain '/', '\\', ':' or spaces, nor start with '.'", spec.Name)
	}
	regs, err := m.readStoredRegistries(ctx)
	if err != nil {
		return err
	}
	if _, ok := regs[spec.Name]; ok {
		return fmt.Errorf("registry %s already exists: change it with vela addon registry update, or delete it first", spec.Name)
	}
	return m.storeRegistry(ctx, regs, spec)
}

// UpdateRegistry changes a stored registry; fields spec leaves empty keep their values
// when the type stays the same.
func (m *Manager) UpdateRegistry(ctx context.Context, spec RegistrySpec) error {
	regs, err := m.readStoredRegistries(ctx)
	if err != nil {
		return err
	}
	raw, ok := regs[spec.Name]
	if !ok {
		return m.notFound(regs, spec.Name)
	}
	var old storedRegistry
	_ = json.Unmarshal(raw, &old)
	switch {
	case old.Helm != nil && (spec.Type == "" || spec.Type == KindHelm):
		spec.Type = KindHelm
		spec.Endpoint = firstNonEmpty(spec.Endpoint, old.Helm.URL)
		spec.Username = firstNonEmpty(spec.Username, old.Helm.Username)
		spec.Password = firstNonEmpty(spec.Password, old.Helm.Password)
		spec.InsecureSkipTLS = spec.InsecureSkipTLS || old.Helm.InsecureSkipTLS
	case old.Git != nil && (spec.Type == "" || spec.Type == KindGit):
		spec.Type = KindGit
		spec.Endpoint = firstNonEmpty(spec.Endpoint, old.Git.URL)
		spec.Path = firstNonEmpty(spec.Path, old.Git.Path)
		spec.Token = firstNonEmpty(spec.Token, old.Git.Token)
	case old.Dir != nil && (spec.Type == "" || IsDirType(spec.Type)):
		spec.Type = KindDirectory
		spec.Endpoint = firstNonEmpty(spec.Endpoint, old.Dir.Path)
	}
	return m.storeRegistry(ctx, regs, spec)
}

func (m *Manager) storeRegistry(ctx context.Context, regs map[string]json.RawMessage, spec RegistrySpec) error {
	s, err := entryOf(spec)
	if err != nil {
		return err
	}
	entry, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if _, err := m.registryOfEntry(spec.Name, entry).Names(); err != nil {
		return fmt.Errorf("%w; the registry was not saved", err)
	}
	regs[spec.Name] = entry
	return m.writeStoredRegistries(ctx, regs)
}

// IsDirType reports whether a registry type given by the user (--type) means a directory
// registry: KindDirectory or its short form "dir".
func IsDirType(t string) bool { return t == KindDirectory || t == "dir" }

// cacheableName reports whether a registry name can name its own directory in the cache
// of git clones: not empty, no path separator, not hidden (nor "." or "..").
func cacheableName(name string) bool {
	return name != "" && !strings.ContainsAny(name, `/\`) && !strings.HasPrefix(name, ".")
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (m *Manager) notFound(regs map[string]json.RawMessage, name string) error {
	names := make([]string, 0, len(regs))
	for n := range regs {
		names = append(names, n)
	}
	sort.Strings(names)
	return fmt.Errorf("registry %s not found (added registries: %v; %s is built in)", name, names, EmbeddedRegistryName)
}

// DeleteRegistry removes a stored registry (and a git registry's clone); enabled addons
// stay enabled.
func (m *Manager) DeleteRegistry(ctx context.Context, name string) error {
	regs, err := m.readStoredRegistries(ctx)
	if err != nil {
		return err
	}
	if _, ok := regs[name]; !ok {
		return m.notFound(regs, name)
	}
	delete(regs, name)
	if err := m.writeStoredRegistries(ctx, regs); err != nil {
		return err
	}
	if cacheableName(name) {
		_ = os.RemoveAll(filepath.Join(m.cacheDir, name))
	}
	return nil
}
