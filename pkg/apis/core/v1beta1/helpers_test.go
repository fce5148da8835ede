package v1beta1_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// yamlDoc is one YAML document of a test corpus.
type yamlDoc struct {
	file  string // path relative to the corpus root, slash-separated
	index int    // position of the document in its file
	kind  string
	api   string
	raw   []byte
	obj   map[string]any
}

func (d yamlDoc) String() string {
	return d.file + "#" + strconv.Itoa(d.index) + " (" + d.kind + ")"
}

// moduleRoot walks up from the test's directory to the directory holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// conformanceDir is ../shared/conformance/kubevela relative to the module root.
func conformanceDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(moduleRoot(t), "..", "shared", "conformance", "kubevela")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Fatalf("conformance corpus missing: expected KubeVela examples in %s (the shared/ directory "+
			"beside the repository); got %v", dir, err)
	}
	return dir
}

// loadConformance returns every non-empty YAML document under the corpus, in path order.
func loadConformance(t *testing.T) []yamlDoc {
	t.Helper()
	root := conformanceDir(t)
	docs := loadDocs(t, os.DirFS(root))
	if len(docs) == 0 {
		t.Fatalf("no YAML documents under %s", root)
	}
	return docs
}

// loadDocs returns every non-empty YAML document of the .yaml/.yml files in fsys, in path order.
func loadDocs(t *testing.T, fsys fs.FS) []yamlDoc {
	t.Helper()
	var docs []yamlDoc
	err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
		for i := 0; ; i++ {
			raw, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			var obj map[string]any
			if err := yaml.Unmarshal(raw, &obj); err != nil {
				t.Errorf("%s#%d: not YAML: %v", path, i, err)
				continue
			}
			if len(obj) == 0 {
				continue
			}
			kind, _ := obj["kind"].(string)
			api, _ := obj["apiVersion"].(string)
			docs = append(docs, yamlDoc{file: path, index: i, kind: kind, api: api, raw: raw, obj: obj})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// lostFields lists the paths where got differs from want: a field of want that got lacks or
// changes. Zero values may come and go: omitempty drops `podDisruptive: false` or
// `labels: {}`, and fields without omitempty write back `healthy: false`; neither changes
// what the object means.
func lostFields(want, got any, path string) []string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{path + ": object became " + describe(got)}
		}
		var out []string
		for _, k := range sortedKeys(w) {
			gv, present := g[k]
			if !present {
				if !isZero(w[k]) {
					out = append(out, path+"."+k+": dropped")
				}
				continue
			}
			out = append(out, lostFields(w[k], gv, path+"."+k)...)
		}
		for _, k := range sortedKeys(g) {
			if _, present := w[k]; !present && !isZero(g[k]) {
				out = append(out, path+"."+k+": added non-zero value "+describe(g[k]))
			}
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{path + ": list became " + describe(got)}
		}
		var out []string
		for i := range w {
			out = append(out, lostFields(w[i], g[i], path+"["+strconv.Itoa(i)+"]")...)
		}
		return out
	default:
		if !reflect.DeepEqual(want, got) {
			return []string{path + ": " + describe(want) + " became " + describe(got)}
		}
		return nil
	}
}

func isZero(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case map[string]any:
		for _, e := range x {
			if !isZero(e) {
				return false
			}
		}
		return true
	case []any:
		return len(x) == 0
	default:
		return reflect.ValueOf(v).IsZero()
	}
}

func describe(v any) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return "?"
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
