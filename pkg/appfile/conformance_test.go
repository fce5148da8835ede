package appfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestConformance renders every Application under ../shared/conformance/kubevela
// with the definitions of its own directory (and its parents) plus velad's
// embedded built-ins. Each must render, with the objects its properties ask
// for, or fail only because a definition is absent — and then say which.
func TestConformance(t *testing.T) {
	root := conformanceRoot(t)
	builtin, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t)
	var rendered, missing []string
	forEachConformanceApp(t, root, func(name string, app *Application, defs *Set) {
		t.Run(name, func(t *testing.T) {
			loader := Chain{defs, builtin}
			ms, err := DryRun(context.Background(), e, loader, app, RenderOptions{})
			if want, ok := expectedFailures[name]; ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("want an error containing %q, got %v", want, err)
				}
				return
			}
			var pe *ParseError
			if errors.As(err, &pe) && pe.OnlyNotFound() {
				missing = append(missing, name+": "+err.Error())
				if !strings.Contains(err.Error(), "not found in namespace") {
					t.Errorf("missing-definition error does not say which: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("render failed: %v", err)
			}
			rendered = append(rendered, name)
			checkRendered(t, app, ms)
			af, err := NewParser(loader).Parse(context.Background(), app)
			if err != nil {
				t.Fatal(err)
			}
			if err := af.Vet(context.Background(), e); err != nil {
				t.Errorf("definitions used by the application do not compile: %v", err)
			}
			if _, err := af.RenderPolicies(context.Background(), e, RenderOptions{}); err != nil {
				t.Errorf("policies do not render: %v", err)
			}
		})
	})
	sort.Strings(missing)
	t.Logf("conformance: %d applications rendered, %d lack a definition", len(rendered), len(missing))
	for _, m := range missing {
		t.Logf("  missing: %s", m)
	}
	if len(rendered) == 0 {
		t.Error("no application rendered")
	}
}

// expectedFailures are conformance Applications KubeVela rejects too, by
// "<file>/<app name>", with the message they must fail with.
var expectedFailures = map[string]string{
	// two components named myweb: KubeVela's admission rejects it as well
	"test/e2e-test/testdata/app/app8.yaml/first-application": `component name "myweb" is used twice`,
}

// forEachConformanceApp calls fn with every Application under root, named
// "<file>/<app name>", and the definitions of its directory (see readConformanceDir).
func forEachConformanceApp(t *testing.T, root string, fn func(name string, app *Application, defs *Set)) {
	t.Helper()
	err := filepath.WalkDir(root, func(dir string, de os.DirEntry, err error) error {
		if err != nil || !de.IsDir() {
			return err
		}
		apps, defs := readConformanceDir(t, root, dir)
		for _, fa := range apps {
			rel, _ := filepath.Rel(root, fa.file)
			fn(rel+"/"+fa.app.Name, fa.app, defs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

type fileApp struct {
	file string
	app  *Application
}

// readConformanceDir returns the Applications in dir's YAML files and the
// definitions found in dir, its sub-directories without Applications (like
// dry-run/definitions) and its parents up to root.
func readConformanceDir(t *testing.T, root, dir string) ([]fileApp, *Set) {
	t.Helper()
	var apps []fileApp
	defs := NewSet()
	for d := dir; ; d = filepath.Dir(d) {
		files, _ := filepath.Glob(filepath.Join(d, "*.yaml"))
		if d == dir {
			sub, _ := filepath.Glob(filepath.Join(d, "definitions", "*.yaml"))
			files = append(sub, files...)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := DecodeObjects(strings.NewReader(string(data)))
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for _, o := range objs {
				switch {
				case IsDefinitionKind(o.GetKind()):
					def, err := DefinitionFromUnstructured(o)
					if err != nil {
						t.Fatalf("%s: %v", f, err)
					}
					if _, err := defs.Load(context.Background(), def.Kind, def.Name, ""); err != nil {
						defs.Add(def) // the nearest directory wins
					}
				case o.GetKind() == "Application" && filepath.Dir(f) == dir:
					app, err := ApplicationFrom(o.Object)
					if err != nil {
						t.Fatalf("%s: %v", f, err)
					}
					apps = append(apps, fileApp{file: f, app: app})
				}
			}
		}
		if d == root || len(d) <= len(root) {
			break
		}
	}
	return apps, defs
}

// checkRendered checks the objects against what the Application asks for.
func checkRendered(t *testing.T, app *Application, ms []*ComponentManifest) {
	t.Helper()
	if len(ms) != len(app.Spec.Components) {
		t.Fatalf("rendered %d components, application has %d", len(ms), len(app.Spec.Components))
	}
	for i, ac := range app.Spec.Components {
		m := ms[i]
		for _, obj := range m.Objects() {
			checkObject(t, app, ac.Name, obj)
		}
		if m.Workload == nil {
			continue
		}
		if got := m.Workload.GetLabels()["workload.oam.dev/type"]; got != ac.Type {
			t.Errorf("component %s: workload.oam.dev/type = %q, want %q", ac.Name, got, ac.Type)
		}
		checkProperties(t, ac, m)
		for _, tr := range ac.Traits {
			checkTrait(t, ac.Name, tr, m)
		}
	}
}

func checkObject(t *testing.T, app *Application, comp string, obj *unstructured.Unstructured) {
	t.Helper()
	if obj.GetAPIVersion() == "" || obj.GetKind() == "" || obj.GetName() == "" {
		t.Errorf("component %s: object without apiVersion/kind/name: %v", comp, obj.Object)
	}
	l := obj.GetLabels()
	if l["app.oam.dev/name"] != app.Name || l["app.oam.dev/component"] != comp {
		t.Errorf("component %s: %s %s has labels %v", comp, obj.GetKind(), obj.GetName(), l)
	}
}

// checkProperties checks the common workload properties (webservice, worker, ...).
func checkProperties(t *testing.T, ac ApplicationComponent, m *ComponentManifest) {
	t.Helper()
	w := m.Workload.Object
	p := ac.Properties
	if img, ok := p["image"].(string); ok && !hasKV(w, "image", img) {
		t.Errorf("component %s: no container with image %q", ac.Name, img)
	}
	if port, ok := p["port"].(int64); ok && !hasKV(w, "containerPort", port) {
		t.Errorf("component %s: no containerPort %d", ac.Name, port)
	}
	for _, pe := range listOf(p["ports"]) {
		if port, ok := pe["port"].(int64); ok && !hasKV(w, "containerPort", port) {
			t.Errorf("component %s: no containerPort %d", ac.Name, port)
		}
	}
	if cmd, ok := p["cmd"].([]any); ok && !hasKV(w, "command", cmd) {
		t.Errorf("component %s: no container with command %v", ac.Name, cmd)
	}
	for _, env := range listOf(p["env"]) {
		if !hasKV(w, "name", env["name"]) {
			t.Errorf("component %s: env %v not set", ac.Name, env["name"])
		}
	}
	if vm, ok := p["volumeMounts"].(map[string]any); ok {
		for _, list := range vm {
			for _, v := range listOf(list) {
				if !hasKV(w, "mountPath", v["mountPath"]) {
					t.Errorf("component %s: volume mount %v missing", ac.Name, v["mountPath"])
				}
			}
		}
	}
}

// checkTrait checks what the usual built-in traits must change.
func checkTrait(t *testing.T, comp string, tr ApplicationTrait, m *ComponentManifest) {
	t.Helper()
	w, p := m.Workload.Object, tr.Properties
	switch tr.Type {
	case "scaler":
		want := int64(1)
		if r, ok := p["replicas"].(int64); ok {
			want = r
		}
		if got, _, _ := unstructured.NestedInt64(w, "spec", "replicas"); got != want {
			t.Errorf("component %s: scaler: replicas = %d, want %d", comp, got, want)
		}
	case "labels", "annotations":
		field := tr.Type
		got, _, _ := unstructured.NestedStringMap(w, "metadata", field)
		for k, v := range p {
			if got[k] != v {
				t.Errorf("component %s: %s trait: %s=%v not on the workload (%v)", comp, tr.Type, k, v, got)
			}
		}
	case "env":
		if env, ok := p["env"].(map[string]any); ok {
			for k := range env {
				if !hasKV(w, "name", k) {
					t.Errorf("component %s: env trait: %s not set", comp, k)
				}
			}
		}
	case "sidecar":
		if img, ok := p["image"].(string); ok && !hasKV(w, "image", img) {
			t.Errorf("component %s: sidecar image %q missing", comp, img)
		}
	case "storage":
		for _, kind := range []string{"pvc", "configMap", "secret", "emptyDir", "hostPath"} {
			for _, v := range listOf(p[kind]) {
				if !hasKV(w, "mountPath", v["mountPath"]) {
					t.Errorf("component %s: storage %s %v: mountPath %v missing", comp, kind, v["name"], v["mountPath"])
				}
			}
		}
	case "hostalias":
		for _, h := range listOf(p["hostAliases"]) {
			if !hasKV(w, "ip", h["ip"]) {
				t.Errorf("component %s: hostalias %v missing", comp, h["ip"])
			}
		}
	}
	if (tr.Type == "expose" || tr.Type == "ingress" || tr.Type == "gateway") && !hasKind(m, "Service") && !hasKind(m, "Ingress") {
		t.Errorf("component %s: %s trait produced neither a Service nor an Ingress", comp, tr.Type)
	}
}

func hasKind(m *ComponentManifest, kind string) bool {
	for _, o := range m.Traits {
		if o.Object.GetKind() == kind {
			return true
		}
	}
	return false
}

func listOf(v any) []map[string]any {
	l, _ := v.([]any)
	out := make([]map[string]any, 0, len(l))
	for _, e := range l {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// hasKV reports whether any map inside obj has key set to value.
func hasKV(obj any, key string, value any) bool {
	switch x := obj.(type) {
	case map[string]any:
		if v, ok := x[key]; ok && sameValue(v, value) {
			return true
		}
		for _, v := range x {
			if hasKV(v, key, value) {
				return true
			}
		}
	case []any:
		for _, v := range x {
			if hasKV(v, key, value) {
				return true
			}
		}
	}
	return false
}

func sameValue(a, b any) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	return fmt.Sprint(a) == fmt.Sprint(b)
}

// TestConformanceAppWithStatus evaluates docs/examples/app-with-status's
// health policies and custom status against live objects built from the
// rendered ones, as the controller would.
func TestConformanceAppWithStatus(t *testing.T) {
	dir := filepath.Join(conformanceRoot(t), "docs", "examples", "app-with-status")
	ctx := context.Background()
	defs, err := FromPaths(filepath.Join(dir, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	app, err := ParseApplicationYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	// template.yaml defines the component type as "nworker" (with the custom
	// status under test) while app.yaml says "worker" (the built-in, covered by
	// TestConformance); use the example's own definition here.
	app.Spec.Components[0].Type = "nworker"
	e := newEngine(t)
	af, err := NewParser(defs).Parse(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	m, err := af.RenderComponent(ctx, e, af.Components[0], RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	live := m.Workload.DeepCopy().Object
	outputs := map[string]any{}
	for _, o := range m.Traits {
		outputs[o.Resource] = o.Object.DeepCopy().Object
	}
	svc := outputs["service"].(map[string]any)
	svc["spec"].(map[string]any)["type"] = "ClusterIP"
	svc["spec"].(map[string]any)["clusterIP"] = "10.43.0.10"

	live["status"] = map[string]any{"replicas": int64(1), "readyReplicas": int64(0)}
	st, err := af.Status(ctx, e, af.Components[0], RenderOptions{}, live, outputs)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status.Healthy || st.Message != "type: busybox,\t enemies:alien" {
		t.Errorf("component status = %+v", st.Status)
	}
	if len(st.Traits) != 1 || !st.Traits[0].Healthy ||
		st.Traits[0].Message != "type: ClusterIP,\t clusterIP:10.43.0.10,\t ports:80,\t domainwww.example.com" {
		t.Errorf("trait status = %+v", st.Traits)
	}
	live["status"] = map[string]any{"replicas": int64(1), "readyReplicas": int64(1)}
	if st, err = af.Status(ctx, e, af.Components[0], RenderOptions{}, live, outputs); err != nil || !st.Healthy() {
		t.Errorf("ready deployment: %+v %v", st, err)
	}
}
