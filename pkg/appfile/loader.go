package appfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"sync"

	"velad.io/velad/embedded"
	"velad.io/velad/pkg/cue/deffile"
)

// SystemNamespace is where built-in definitions live; lookups fall back to it.
const SystemNamespace = "vela-system"

// Loader finds X-Definitions. Load looks in namespace first, then in
// SystemNamespace, and returns a *NotFoundError when neither has it. A
// cluster-backed implementation is a Get of the kind in both namespaces
// followed by DefinitionFromUnstructured.
type Loader interface {
	// Load returns the definition of kind (e.g. KindTrait) called name.
	Load(ctx context.Context, kind, name, namespace string) (*Definition, error)
	// List returns every definition of kind visible from namespace, sorted by name.
	List(ctx context.Context, kind, namespace string) ([]*Definition, error)
}

// NotFoundError says which definition is missing and where it was looked for.
type NotFoundError struct {
	Kind, Name string
	// Namespaces were searched, in order.
	Namespaces []string
}

// Error reads like `ComponentDefinition "foo" not found in namespace vela-system or default (install it or check the spelling)`.
func (e *NotFoundError) Error() string {
	return fmt.Sprintf("%s %q not found in namespace %s (install it or check the spelling)",
		e.Kind, e.Name, strings.Join(e.Namespaces, " or "))
}

// IsNotFound reports whether err (or an error it wraps) is a *NotFoundError.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}

func notFound(kind, name, namespace string) *NotFoundError {
	ns := []string{SystemNamespace}
	if namespace != "" && namespace != SystemNamespace {
		ns = append(ns, namespace)
	}
	return &NotFoundError{Kind: kind, Name: name, Namespaces: ns}
}

// Set is an in-memory Loader. Definitions without a namespace, or in
// SystemNamespace, are visible from every namespace.
type Set struct {
	mu   sync.RWMutex
	defs map[string]*Definition // kind/namespace/name
}

// NewSet returns a Set holding defs; later definitions replace earlier ones.
func NewSet(defs ...*Definition) *Set {
	s := &Set{defs: map[string]*Definition{}}
	s.Add(defs...)
	return s
}

// Add stores definitions, replacing any with the same kind, namespace and name.
func (s *Set) Add(defs ...*Definition) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range defs {
		s.defs[setKey(d.Kind, globalNS(d.Namespace), d.Name)] = d
	}
}

func globalNS(ns string) string {
	if ns == SystemNamespace {
		return ""
	}
	return ns
}

func setKey(kind, ns, name string) string { return kind + "/" + ns + "/" + name }

// Load implements Loader.
func (s *Set) Load(_ context.Context, kind, name, namespace string) (*Definition, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if namespace != "" && namespace != SystemNamespace {
		if d, ok := s.defs[setKey(kind, namespace, name)]; ok {
			return d, nil
		}
	}
	if d, ok := s.defs[setKey(kind, "", name)]; ok {
		return d, nil
	}
	return nil, notFound(kind, name, namespace)
}

// List implements Loader.
func (s *Set) List(_ context.Context, kind, namespace string) ([]*Definition, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	byName := map[string]*Definition{}
	for _, d := range s.defs {
		ns := globalNS(d.Namespace)
		if d.Kind != kind || (ns != "" && ns != namespace) {
			continue
		}
		if prev, ok := byName[d.Name]; !ok || globalNS(prev.Namespace) == "" {
			byName[d.Name] = d
		}
	}
	return sortedDefs(byName), nil
}

func sortedDefs(m map[string]*Definition) []*Definition {
	out := make([]*Definition, 0, len(m))
	for _, d := range m {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Chain is a Loader that asks each loader in turn; the first definition found
// wins, so put user-supplied definitions before the built-ins.
type Chain []Loader

// Load implements Loader.
func (c Chain) Load(ctx context.Context, kind, name, namespace string) (*Definition, error) {
	for _, l := range c {
		d, err := l.Load(ctx, kind, name, namespace)
		if err == nil {
			return d, nil
		}
		if !IsNotFound(err) {
			return nil, err
		}
	}
	return nil, notFound(kind, name, namespace)
}

// List implements Loader; earlier loaders shadow later ones by name.
func (c Chain) List(ctx context.Context, kind, namespace string) ([]*Definition, error) {
	byName := map[string]*Definition{}
	for i := len(c) - 1; i >= 0; i-- {
		defs, err := c[i].List(ctx, kind, namespace)
		if err != nil {
			return nil, err
		}
		for _, d := range defs {
			byName[d.Name] = d
		}
	}
	return sortedDefs(byName), nil
}

// LoadFS reads every definition under root in fsys: YAML/JSON files holding
// X-Definitions (other kinds are skipped) and `vela def` CUE files.
func LoadFS(fsys fs.FS, root string) ([]*Definition, error) {
	var defs []*Definition
	err := fs.WalkDir(fsys, root, func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		ext := strings.ToLower(path.Ext(p))
		if ext != ".yaml" && ext != ".yml" && ext != ".json" && ext != ".cue" {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		found, err := decodeFile(p, data)
		if err != nil {
			return fmt.Errorf("reading definitions from %s: %w", p, err)
		}
		defs = append(defs, found...)
		return nil
	})
	return defs, err
}

func decodeFile(name string, data []byte) ([]*Definition, error) {
	if strings.HasSuffix(strings.ToLower(name), ".cue") {
		obj, err := deffile.ToObject(string(data))
		if err != nil {
			return nil, err
		}
		d, err := DefinitionFromUnstructured(obj)
		if err != nil {
			return nil, err
		}
		return []*Definition{d}, nil
	}
	return DecodeDefinitions(data)
}

// FromFS returns a Set with every definition under root in fsys.
func FromFS(fsys fs.FS, root string) (*Set, error) {
	defs, err := LoadFS(fsys, root)
	if err != nil {
		return nil, err
	}
	return NewSet(defs...), nil
}

// FromPaths returns a Set with the definitions in the given files and directories.
func FromPaths(paths ...string) (*Set, error) {
	set := NewSet()
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("reading definitions: %w", err)
		}
		var defs []*Definition
		if st.IsDir() {
			defs, err = LoadFS(os.DirFS(p), ".")
		} else {
			var data []byte
			if data, err = os.ReadFile(p); err == nil {
				defs, err = decodeFile(p, data)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("reading definitions from %s: %w", p, err)
		}
		set.Add(defs...)
	}
	return set, nil
}

// Builtin returns a Set with velad's embedded built-in definitions.
func Builtin() (*Set, error) {
	s, err := FromFS(embedded.Definitions(), ".")
	if err != nil {
		return nil, fmt.Errorf("loading built-in definitions: %w", err)
	}
	return s, nil
}
