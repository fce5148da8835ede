package addon

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// Load reads the addon in directory dir of fsys ("." for the root). registry and source
// are recorded on the Addon; source prefixes every error so the user finds the file.
func Load(fsys fs.FS, dir, registry, source string) (*Addon, error) {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	a := &Addon{Registry: registry, Source: source}
	if err := a.loadMeta(sub); err != nil {
		return nil, err
	}
	single := map[string]**File{TemplateCUEFile: &a.TemplateCUE, TemplateYAMLFile: &a.TemplateYAML,
		ParameterFile: &a.Parameter, NotesFile: &a.Notes}
	for name, dst := range single {
		f, err := readOptional(sub, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		*dst = f
	}
	if f, err := readOptional(sub, ReadmeFile); err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	} else if f != nil {
		a.Readme = string(f.Data)
	}
	dirs := map[string]*[]File{ResourcesDir: &a.Resources, DefinitionsDir: &a.Definitions,
		SchemasDir: &a.Schemas, ViewsDir: &a.Views, ConfigTemplatesDir: &a.ConfigTemplates}
	for name, dst := range dirs {
		files, err := readDir(sub, name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", source, err)
		}
		*dst = files
	}
	a.takeLegacyParameter()
	return a, nil
}

func (a *Addon) loadMeta(fsys fs.FS) error {
	data, err := fs.ReadFile(fsys, MetadataFile)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s is missing: an addon directory needs %s with at least name and version",
			path.Join(a.Source, MetadataFile), MetadataFile)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path.Join(a.Source, MetadataFile), err)
	}
	if err := yaml.Unmarshal(data, &a.Meta); err != nil {
		return fmt.Errorf("%s: %w", path.Join(a.Source, MetadataFile), err)
	}
	var missing []string
	if a.Meta.Name == "" {
		missing = append(missing, "name")
	}
	if a.Meta.Version == "" {
		missing = append(missing, "version")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s: missing %s", path.Join(a.Source, MetadataFile), strings.Join(missing, " and "))
	}
	for _, d := range a.Meta.Dependencies {
		if d.Name == "" {
			return fmt.Errorf("%s: a dependency has no name", path.Join(a.Source, MetadataFile))
		}
	}
	return nil
}

// takeLegacyParameter moves resources/parameter.cue (KubeVela's older layout) into Parameter.
func (a *Addon) takeLegacyParameter() {
	for i, f := range a.Resources {
		if f.Path == legacyParameterPath {
			if a.Parameter == nil {
				a.Parameter = &File{Path: f.Path, Data: f.Data}
			}
			a.Resources = append(a.Resources[:i], a.Resources[i+1:]...)
			return
		}
	}
}

func readOptional(fsys fs.FS, name string) (*File, error) {
	data, err := fs.ReadFile(fsys, name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &File{Path: name, Data: data}, nil
}

// readDir reads every regular file under dir, recursively, sorted by path.
func readDir(fsys fs.FS, dir string) ([]File, error) {
	var out []File
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == dir {
			return fs.SkipDir
		}
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		out = append(out, File{Path: p, Data: data})
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, err
}
