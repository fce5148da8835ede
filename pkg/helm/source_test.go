package helm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// chartDir writes a minimal chart name@version under dir and returns its path.
func chartDir(t *testing.T, dir, name, version string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Join(p, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: " + name + "\nversion: " + version + "\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
		"values.yaml":       "a: 1\n",
	}
	for f, data := range files {
		if err := os.WriteFile(filepath.Join(p, f), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// packageChart packages the chart at src into dir as <name>-<version>.tgz.
func packageChart(t *testing.T, src, dir string) string {
	t.Helper()
	ch, err := loader.Load(src)
	if err != nil {
		t.Fatal(err)
	}
	out, err := chartutil.Save(ch, dir)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFromPath(t *testing.T) {
	dir := t.TempDir()
	chartDir(t, dir, "web", "1.0.0")
	pkgs := t.TempDir()
	for _, v := range []string{"1.0.0", "1.2.0", "2.0.0"} {
		packageChart(t, chartDir(t, t.TempDir(), "api", v), pkgs)
	}
	for _, c := range []struct {
		dir, chart, version, want string
	}{
		{dir, "web", "", "1.0.0"},                                       // a chart directory
		{pkgs, "api", "*", "2.0.0"},                                     // the newest package
		{pkgs, "api", "~1.0", "1.0.0"},                                  // a range
		{pkgs, "api", "1.x", "1.2.0"},                                   // the newest in a range
		{"/ignored", filepath.Join(pkgs, "api-1.2.0.tgz"), "", "1.2.0"}, // an absolute .tgz
	} {
		ch, err := loadChart(context.Background(), nil, "default", &source{kind: "HelmRepository", url: "file://" + c.dir}, chartSpec{Chart: c.chart, Version: c.version})
		if err != nil {
			t.Errorf("%s %s@%q: %v", c.dir, c.chart, c.version, err)
			continue
		}
		if ch.Metadata.Version != c.want {
			t.Errorf("%s@%q = %s, want %s", c.chart, c.version, ch.Metadata.Version, c.want)
		}
	}
	for _, c := range []struct {
		chart, version, want string
	}{
		{"missing", "", `chart "missing" not found in`},
		{"api", "3.x", `chart "api" not found in`},
		{"api", "not a version", "is not a version or semver range"},
	} {
		_, err := loadChart(context.Background(), nil, "default", &source{kind: "HelmRepository", url: pkgs}, chartSpec{Chart: c.chart, Version: c.version})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s@%q: error %v, want %q", c.chart, c.version, err, c.want)
		}
	}
	if _, err := loadChart(context.Background(), nil, "default", &source{kind: "GitRepository", url: "https://example.com/charts.git"}, chartSpec{Chart: "x"}); err == nil || !strings.Contains(err.Error(), "does not clone git") {
		t.Errorf("remote git: %v", err)
	}
	if _, err := loadChart(context.Background(), nil, "default", &source{kind: "HelmRepository", url: "s3://bucket"}, chartSpec{Chart: "x"}); err == nil || !strings.Contains(err.Error(), "unsupported scheme") {
		t.Errorf("s3: %v", err)
	}
}

func TestMergeMaps(t *testing.T) {
	got := mergeMaps(map[string]any{"a": 1, "n": map[string]any{"x": 1, "y": 2}}, map[string]any{"b": 2, "n": map[string]any{"y": 3}})
	n := got["n"].(map[string]any)
	if got["a"] != 1 || got["b"] != 2 || n["x"] != 1 || n["y"] != 3 {
		t.Fatalf("merged = %v", got)
	}
}

func TestSpecDefaults(t *testing.T) {
	hr := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "web", "namespace": "apps"},
		"spec": map[string]any{
			"targetNamespace": "prod",
			"chart":           map[string]any{"spec": map[string]any{"chart": "web", "sourceRef": map[string]any{"kind": "HelmRepository", "name": "r"}}},
			"upgrade":         map[string]any{"remediation": map[string]any{"retries": 2}},
		},
	}}
	s, err := parseSpec(hr)
	if err != nil {
		t.Fatal(err)
	}
	if s.releaseName(hr) != "prod-web" || s.targetNamespace(hr) != "prod" || s.storageNamespace(hr) != "apps" || s.retries() != 2 {
		t.Errorf("release %s target %s storage %s retries %d", s.releaseName(hr), s.targetNamespace(hr), s.storageNamespace(hr), s.retries())
	}
	unstructured.RemoveNestedField(hr.Object, "spec", "chart")
	if _, err := parseSpec(hr); err == nil || !strings.Contains(err.Error(), "HelmRelease apps/web: spec.chart.spec.chart is empty") {
		t.Errorf("missing chart: %v", err)
	}
}

func TestStatusKeepsReadyFirst(t *testing.T) {
	st := &status{}
	st.set("Released", "True", "x", "y")
	st.ready("detail")
	if st.Conditions[0].Type != "Ready" || st.Conditions[0].Message != ReadyMessage || len(st.Conditions) != 2 {
		t.Fatalf("conditions = %+v", st.Conditions)
	}
}
