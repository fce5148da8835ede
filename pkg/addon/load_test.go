package addon

import (
	"os"
	"strings"
	"testing"
)

func loadTestdata(t *testing.T, dir string) (*Addon, error) {
	t.Helper()
	return Load(os.DirFS("testdata"), dir, "test", "testdata/"+dir)
}

func TestLoadValidCUE(t *testing.T) {
	a, err := loadTestdata(t, "valid-cue")
	if err != nil {
		t.Fatal(err)
	}
	m := a.Meta
	if m.Name != "sample" || m.Version != "0.2.0" || m.Icon == "" || m.URL == "" || len(m.Tags) != 1 ||
		m.System == nil || m.System.Vela != ">=v1.6.0" || m.System.Kubernetes != ">=1.20" ||
		m.DeployTo == nil || !m.DeployTo.RuntimeCluster || len(m.Dependencies) != 1 || m.Dependencies[0].Version != ">=1.0.0" {
		t.Errorf("metadata = %+v", m)
	}
	if a.TemplateCUE == nil || a.TemplateYAML != nil || a.Parameter == nil || a.Notes == nil || a.Readme != "# sample\n" {
		t.Errorf("files: template.cue %v template.yaml %v parameter %v notes %v readme %q", a.TemplateCUE != nil, a.TemplateYAML != nil, a.Parameter != nil, a.Notes != nil, a.Readme)
	}
	counts := map[string]int{"resources": len(a.Resources), "definitions": len(a.Definitions), "schemas": len(a.Schemas),
		"views": len(a.Views), "config-templates": len(a.ConfigTemplates)}
	want := map[string]int{"resources": 2, "definitions": 2, "schemas": 1, "views": 1, "config-templates": 1}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%s: %d files, want %d", k, counts[k], n)
		}
	}
	if a.Resources[0].Path != "resources/extra.yaml" {
		t.Errorf("resources not sorted by path: %v", a.Resources[0].Path)
	}
}

func TestLoadLegacyParameterLocation(t *testing.T) {
	a, err := loadTestdata(t, "valid-legacy")
	if err != nil {
		t.Fatal(err)
	}
	if a.Parameter == nil || a.Parameter.Path != "resources/parameter.cue" {
		t.Fatalf("parameter = %+v", a.Parameter)
	}
	for _, r := range a.Resources {
		if r.Path == "resources/parameter.cue" {
			t.Error("resources/parameter.cue is also listed as a resource")
		}
	}
}

func TestLoadInvalid(t *testing.T) {
	for dir, want := range map[string][]string{
		"invalid-no-metadata": {"testdata/invalid-no-metadata/metadata.yaml is missing"},
		"invalid-metadata":    {"testdata/invalid-metadata/metadata.yaml", "line 2"},
		"does-not-exist":      {"testdata/does-not-exist"},
	} {
		t.Run(dir, func(t *testing.T) {
			_, err := loadTestdata(t, dir)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestLoadDir(t *testing.T) {
	a, err := LoadDir("testdata/valid-legacy")
	if err != nil {
		t.Fatal(err)
	}
	if a.Registry != LocalRegistryName || !strings.HasSuffix(a.Source, "testdata/valid-legacy") {
		t.Errorf("registry %q source %q", a.Registry, a.Source)
	}
	if _, err := LoadDir("testdata/valid-legacy/metadata.yaml"); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file as addon dir: %v", err)
	}
}
