package addon

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func mustLoad(t *testing.T, dir string) *Addon {
	t.Helper()
	a, err := loadTestdata(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func components(t *testing.T, app *unstructured.Unstructured) []map[string]any {
	t.Helper()
	list, _, _ := unstructured.NestedSlice(app.Object, "spec", "components")
	var out []map[string]any
	for _, c := range list {
		out = append(out, c.(map[string]any))
	}
	return out
}

func TestRenderCUELayout(t *testing.T) {
	out, err := Render(mustLoad(t, "valid-cue"), map[string]any{"replicas": 3}, []string{"member-1"})
	if err != nil {
		t.Fatal(err)
	}
	app := out.App
	if app.GetName() != "addon-sample" || app.GetNamespace() != "vela-system" || app.GetKind() != "Application" {
		t.Errorf("app = %s %s/%s", app.GetKind(), app.GetNamespace(), app.GetName())
	}
	if l := app.GetLabels(); l[LabelName] != "sample" || l[LabelVersion] != "0.2.0" || l[LabelRegistry] != "test" {
		t.Errorf("labels = %v", l)
	}
	comps := components(t, app)
	if len(comps) != 2 || comps[0]["name"] != "web" || comps[1]["name"] != "extra" || comps[1]["type"] != "k8s-objects" {
		t.Fatalf("components = %v", comps)
	}
	if img, _, _ := unstructured.NestedString(comps[0], "properties", "image"); img != "busybox" {
		t.Errorf("parameter default not applied: image %q", img)
	}
	traits := comps[0]["traits"].([]any)
	if r, _, _ := unstructured.NestedInt64(traits[0].(map[string]any), "properties", "replicas"); r != 3 {
		t.Errorf("replicas = %d, want 3", r)
	}
	objs := comps[1]["properties"].(map[string]any)["objects"].([]any)
	if len(objs) != 2 {
		t.Errorf("extra.yaml gave %d objects, want 2", len(objs))
	}
	policies, _, _ := unstructured.NestedSlice(app.Object, "spec", "policies")
	if len(policies) != 1 || policies[0].(map[string]any)["type"] != "topology" {
		t.Errorf("policies = %v", policies)
	}
	if len(out.Auxiliary) != 1 || out.Auxiliary[0].GetName() != "sample-0.2.0" {
		t.Errorf("auxiliary = %v", out.Auxiliary)
	}
	if len(out.Definitions) != 2 {
		t.Fatalf("definitions = %d, want 2", len(out.Definitions))
	}
	for _, d := range out.Definitions {
		if d.GetNamespace() != Namespace || d.GetLabels()[LabelName] != "sample" {
			t.Errorf("%s %s: namespace %q labels %v", d.GetKind(), d.GetName(), d.GetNamespace(), d.GetLabels())
		}
	}
	if out.Notes != "sample runs 3 replica(s)" {
		t.Errorf("notes = %q", out.Notes)
	}
}

func TestRenderLegacyLayout(t *testing.T) {
	out, err := Render(mustLoad(t, "valid-legacy"), map[string]any{"message": "hello"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out.App.GetName() != "addon-legacy" || out.App.GetNamespace() != Namespace {
		t.Errorf("template.yaml name/namespace not replaced: %s/%s", out.App.GetNamespace(), out.App.GetName())
	}
	comps := components(t, out.App)
	var names []string
	for _, c := range comps {
		names = append(names, c["name"].(string)+":"+c["type"].(string))
	}
	if got := strings.Join(names, ","); got != "from-template:k8s-objects,objects:k8s-objects,worker:worker" &&
		got != "from-template:k8s-objects,worker:worker,objects:k8s-objects" {
		t.Errorf("components = %s", got)
	}
	for _, c := range comps {
		if c["name"] == "worker" {
			cmd, _, _ := unstructured.NestedStringSlice(c, "properties", "cmd")
			if len(cmd) != 2 || cmd[1] != "hello" {
				t.Errorf("worker cmd = %v", cmd)
			}
		}
	}
	if _, ok, _ := unstructured.NestedSlice(out.App.Object, "spec", "policies"); ok {
		t.Error("topology policy added without clusters")
	}
}

func TestRenderErrorsNameTheFile(t *testing.T) {
	for dir, want := range map[string][]string{
		"invalid-cue":        {"testdata/invalid-cue/template.cue:", "rendering addon badcue"},
		"invalid-definition": {"testdata/invalid-definition/definitions/cm.yaml", "not an X-Definition"},
		"invalid-incomplete": {"output", "image", "testdata/invalid-incomplete/"},
	} {
		t.Run(dir, func(t *testing.T) {
			a, err := loadTestdata(t, dir)
			if err == nil {
				_, err = Render(a, nil, nil)
			}
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

func TestRenderReportsUnknownParameters(t *testing.T) {
	out, err := Render(mustLoad(t, "valid-cue"), map[string]any{"replica": 3, "image": "x", "clusters": []any{"local"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.UnknownParameters) != 1 || out.UnknownParameters[0] != "replica" {
		t.Errorf("unknown = %v, want [replica]", out.UnknownParameters)
	}
	a, err := EmbeddedRegistry().Get("velad-ownership")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := Render(a, map[string]any{"teams": map[string]any{"a": "b"}}, nil); err != nil || len(out.UnknownParameters) != 0 {
		t.Errorf("ownership teams: unknown %v, %v", out.UnknownParameters, err)
	}
}

func TestRenderViews(t *testing.T) {
	a := &Addon{Meta: Meta{Name: "v", Version: "1.0.0"}, Source: "mem:v", Views: []File{
		{Path: "views/pod-count.cue", Data: []byte("import \"vela/ql\"\nparameter: {ns: string}\npods: ql.#List & {resource: {apiVersion: \"v1\", kind: \"Pod\"}}\nstatus: len(pods.list.items)\n")},
		{Path: "views/more.yaml", Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: yaml-view\ndata:\n  template: |\n    status: 1\n")},
	}}
	out, err := Render(a, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Views) != 2 || out.Views[0].GetName() != "pod-count" || out.Views[1].GetName() != "yaml-view" {
		t.Fatalf("views = %v", out.Views)
	}
	for _, v := range out.Views {
		tmpl, _, _ := unstructured.NestedString(v.Object, "data", "template")
		if v.GetNamespace() != Namespace || v.GetLabels()[LabelName] != "v" || v.GetLabels()[LabelView] != "true" || tmpl == "" {
			t.Errorf("view %s = %v", v.GetName(), v.Object)
		}
	}

	for name, bad := range map[string]File{
		"mem:v/views/broken.cue:2:":     {Path: "views/broken.cue", Data: []byte("parameter: {}\nstatus: {\n")},
		"is not a view":                 {Path: "views/x.yaml", Data: []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\n")},
		"has no data.template":          {Path: "views/y.yaml", Data: []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\n")},
		"views/Bad_Name.cue: view name": {Path: "views/Bad_Name.cue", Data: []byte("status: 1\n")},
	} {
		a.Views = []File{bad}
		if _, err := Render(a, nil, nil); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("view %s: error %v, want it to contain %q", bad.Path, err, name)
		}
	}
}
