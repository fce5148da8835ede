package appfile

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"velad.io/velad/pkg/cue"
	"velad.io/velad/pkg/cue/provider/op"
)

func newEngine(t testing.TB) *cue.Engine {
	t.Helper()
	e, err := cue.New(cue.WithProviders(op.All()...))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestDryRunDocumentedExample renders KubeVela's docs/examples/dry-run and
// compares with the objects KubeVela documents for it.
func TestDryRunDocumentedExample(t *testing.T) {
	dir := filepath.Join(conformanceRoot(t), "docs", "examples", "dry-run")
	data, err := os.ReadFile(filepath.Join(dir, "app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	app, err := ParseApplicationYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	defs, err := FromPaths(filepath.Join(dir, "definitions"))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := DryRun(context.Background(), newEngine(t), defs, app, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteManifests(&buf, app.Name, ms); err != nil {
		t.Fatal(err)
	}
	got, err := DecodeObjects(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("dry-run output is not YAML: %v\n%s", err, buf.String())
	}
	wantData, err := os.ReadFile("testdata/dry-run-expected.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want, err := DecodeObjects(bytes.NewReader(wantData))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("dry-run printed %d objects, KubeVela documents %d:\n%s", len(got), len(want), buf.String())
	}
	for i := range want {
		if diff := subset(want[i].Object, got[i].Object, ""); diff != "" {
			t.Errorf("object %d (%s): %s", i, want[i].GetKind(), diff)
		}
	}
	if !strings.Contains(buf.String(), "# Application(application-sample) -- Component(myweb)") {
		t.Errorf("missing the component header:\n%s", buf.String())
	}
}

// subset returns "" when every field of want appears with the same value in got.
func subset(want, got any, path string) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: want an object, got %v", path, got)
		}
		for k, v := range w {
			if d := subset(v, g[k], path+"."+k); d != "" {
				return d
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: want %v, got %v", path, want, got)
		}
		for i := range w {
			if d := subset(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	default:
		if fmt.Sprint(want) != fmt.Sprint(got) {
			return fmt.Sprintf("%s: want %v, got %v", path, want, got)
		}
	}
	return ""
}
