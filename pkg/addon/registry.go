package addon

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"velad.io/velad/embedded"
)

// Registry kinds.
const (
	// KindEmbedded is the registry compiled into velad.
	KindEmbedded = "embedded"
	// KindDirectory is a directory on the local disk with one addon per subdirectory.
	KindDirectory = "directory"
	// KindHelm is a helm-repository style HTTP catalog: index.yaml listing addon packages.
	KindHelm = "helm"
	// KindGit is a Git repository (optionally a subdirectory of it) with one addon per directory.
	KindGit = "git"
)

// EmbeddedRegistryName names the registry of addons shipped inside velad.
const EmbeddedRegistryName = "velad"

// LocalRegistryName is recorded for addons enabled straight from a directory path.
const LocalRegistryName = "local"

// Registry is a catalog of addons: a file system with one addon directory per entry.
type Registry struct {
	// Name identifies the registry; it is recorded in the addons.oam.dev/registry label.
	Name string `json:"name"`
	// Kind is KindEmbedded or KindDirectory.
	Kind string `json:"kind"`
	// Location is shown to users: a directory path, a URL without credentials, or "(built in)".
	Location string `json:"location"`

	fsys fs.FS
	// cat serves the registries that are not a file system read as it is (helm, git).
	cat catalog
}

// catalog is a registry's source of addons when it is not a plain file system.
type catalog interface {
	// names lists the addons, sorted.
	names() ([]string, error)
	// entries describes every addon without necessarily loading it.
	entries() ([]Entry, []error)
	// load loads an addon at version ("" for the newest); fs.ErrNotExist when absent.
	load(name, version string) (*Addon, error)
}

// Entry is one addon of a registry as listings show it.
type Entry struct {
	// Name of the addon.
	Name string
	// Description from its metadata.
	Description string
	// Versions available, newest first.
	Versions []string
	// Invisible hides it from listings.
	Invisible bool
}

// EmbeddedRegistry returns the offline registry compiled into velad (embedded/addons).
func EmbeddedRegistry() Registry {
	return Registry{Name: EmbeddedRegistryName, Kind: KindEmbedded, Location: "(built in)", fsys: embedded.Addons()}
}

// DirRegistry returns a registry over dir, whose subdirectories are addons.
func DirRegistry(name, dir string) Registry {
	return Registry{Name: name, Kind: KindDirectory, Location: dir, fsys: os.DirFS(dir)}
}

// FSRegistry returns a registry over any file system (tests, other embeddings).
func FSRegistry(name, location string, fsys fs.FS) Registry {
	return Registry{Name: name, Kind: KindEmbedded, Location: location, fsys: fsys}
}

// source is how errors name a file of addon dir in this registry.
func (r Registry) source(dir string) string {
	if r.Kind == KindDirectory {
		return filepath.Join(r.Location, dir)
	}
	return r.Name + ":" + dir
}

// Names lists the addon directories (those holding metadata.yaml), sorted.
func (r Registry) Names() ([]string, error) {
	if r.cat != nil {
		return r.cat.names()
	}
	if r.fsys == nil {
		return nil, fmt.Errorf("registry %s is a %s registry: velad reads embedded and directory registries only", r.Name, r.Kind)
	}
	entries, err := fs.ReadDir(r.fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("reading registry %s (%s): %w", r.Name, r.Location, err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := fs.Stat(r.fsys, e.Name()+"/"+MetadataFile); err == nil {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names, nil
}

// Get loads the newest version of the addon named name (its directory name).
func (r Registry) Get(name string) (*Addon, error) { return r.GetVersion(name, "") }

// GetVersion loads the addon named name at version ("" for the newest); fs.ErrNotExist
// when the registry has no such addon, a *VersionError when it lacks that version.
func (r Registry) GetVersion(name, version string) (*Addon, error) {
	if r.cat != nil {
		return r.cat.load(name, version)
	}
	if r.fsys == nil {
		return nil, fs.ErrNotExist
	}
	if _, err := fs.Stat(r.fsys, name); errors.Is(err, fs.ErrNotExist) {
		return nil, fs.ErrNotExist
	}
	a, err := Load(r.fsys, name, r.Name, r.source(name))
	if err == nil && version != "" && trimV(a.Meta.Version) != trimV(version) {
		return nil, &VersionError{Registry: r.Name, Addon: name, Version: version, Available: []string{a.Meta.Version}}
	}
	return a, err
}

// Entries describes every addon of the registry for listings; one that fails to load is
// an error beside the others.
func (r Registry) Entries() ([]Entry, []error) {
	if r.cat != nil {
		return r.cat.entries()
	}
	addons, errs := r.List()
	out := make([]Entry, 0, len(addons))
	for _, a := range addons {
		out = append(out, Entry{Name: a.Meta.Name, Description: a.Meta.Description, Versions: []string{a.Meta.Version}, Invisible: a.Meta.Invisible})
	}
	return out, errs
}

func trimV(v string) string { return strings.TrimPrefix(v, "v") }

// List loads every addon; an addon that fails to load is returned as an error beside the
// others so one broken directory does not hide the catalog.
func (r Registry) List() ([]*Addon, []error) {
	names, err := r.Names()
	if err != nil {
		return nil, []error{err}
	}
	var out []*Addon
	var errs []error
	for _, n := range names {
		a, err := r.Get(n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, a)
	}
	return out, errs
}

// LoadDir loads the addon in a local directory (`vela addon enable ./path`).
func LoadDir(dir string) (*Addon, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("reading addon directory: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory: an addon is a directory with %s", abs, MetadataFile)
	}
	return Load(os.DirFS(abs), ".", LocalRegistryName, abs)
}

// Registries is an ordered list of registries; earlier ones win on name clashes.
type Registries []Registry

// Find returns the first addon called name, or a *NotFoundError listing what exists.
func (rs Registries) Find(name string) (*Addon, error) { return rs.FindVersion(name, "", "") }

// FindVersion returns the addon called name from the registry called registry (any
// registry, in order, when "") at version (the newest when ""). An unknown registry is
// an error naming the registries; a missing addon a *NotFoundError listing what exists.
func (rs Registries) FindVersion(name, registry, version string) (*Addon, error) {
	search := rs
	if registry != "" {
		search = nil
		var names []string
		for _, r := range rs {
			names = append(names, r.Name)
			if r.Name == registry {
				search = Registries{r}
			}
		}
		if search == nil {
			return nil, fmt.Errorf("addon registry %q not found (registries: %s; add one with vela addon registry add)", registry, strings.Join(names, ", "))
		}
	}
	var unreadable []string
	for _, r := range search {
		if r.cat != nil {
			// A registry that cannot be read (offline, bad credentials) does not hide the others.
			names, err := r.Names()
			if err != nil {
				unreadable = append(unreadable, err.Error())
				continue
			}
			if i := sort.SearchStrings(names, name); i == len(names) || names[i] != name {
				continue
			}
		}
		a, err := r.GetVersion(name, version)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		return a, err
	}
	if len(unreadable) > 0 {
		return nil, fmt.Errorf("addon %q not found; some registries could not be read: %s", name, strings.Join(unreadable, "; "))
	}
	seen := map[string]bool{}
	var avail []string
	for _, r := range search {
		names, _ := r.Names()
		for _, n := range names {
			if !seen[n] {
				seen[n] = true
				avail = append(avail, n)
			}
		}
	}
	sort.Strings(avail)
	return nil, &NotFoundError{Name: name, Available: avail}
}
