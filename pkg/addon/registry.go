package addon

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"velad.io/velad/embedded"
)

// Registry kinds.
const (
	// KindEmbedded is the registry compiled into velad.
	KindEmbedded = "embedded"
	// KindDirectory is a directory on the local disk with one addon per subdirectory.
	KindDirectory = "directory"
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
	// Location is shown to users: a directory path, or "(built in)".
	Location string `json:"location"`

	fsys fs.FS
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

// Get loads the addon named name (its directory name).
func (r Registry) Get(name string) (*Addon, error) {
	if r.fsys == nil {
		return nil, fs.ErrNotExist
	}
	if _, err := fs.Stat(r.fsys, name); errors.Is(err, fs.ErrNotExist) {
		return nil, fs.ErrNotExist
	}
	return Load(r.fsys, name, r.Name, r.source(name))
}

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
func (rs Registries) Find(name string) (*Addon, error) {
	for _, r := range rs {
		a, err := r.Get(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		return a, err
	}
	seen := map[string]bool{}
	var avail []string
	for _, r := range rs {
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
