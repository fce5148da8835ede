package embedded

import (
	"encoding/json"
	"io/fs"
	"path"
	"sort"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"
	cueyaml "cuelang.org/go/encoding/yaml"
)

// These tests use CUE directly, not velad's engine, so a broken definition is caught
// here even while the engine changes. They cannot apply patch strategies (+patchKey and
// friends): trait tests check the patch a trait produces, and unify it with a workload
// only where plain CUE unification gives the same answer as a strategic merge.

// kindByDir maps each directory under definitions/ to the kind its files declare.
var kindByDir = map[string]string{
	"components":    "ComponentDefinition",
	"traits":        "TraitDefinition",
	"policies":      "PolicyDefinition",
	"workflowsteps": "WorkflowStepDefinition",
}

// definition is one decoded built-in definition file.
type definition struct {
	file     string // path inside Definitions()
	dir      string // components, traits, policies or workflowsteps
	name     string
	obj      map[string]any
	template string
}

func (d definition) status(field string) string {
	spec, _ := d.obj["spec"].(map[string]any)
	st, _ := spec["status"].(map[string]any)
	s, _ := st[field].(string)
	return s
}

func loadDefinitions(t *testing.T) []definition {
	t.Helper()
	var defs []definition
	err := fs.WalkDir(Definitions(), ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := fs.ReadFile(Definitions(), p)
		if err != nil {
			return err
		}
		defs = append(defs, decodeDefinition(t, p, data))
		return nil
	})
	if err != nil {
		t.Fatalf("walking definitions: %v", err)
	}
	if len(defs) == 0 {
		t.Fatal("no definitions embedded")
	}
	return defs
}

func decodeDefinition(t *testing.T, file string, data []byte) definition {
	t.Helper()
	if strings.Count("\n"+string(data), "\n---") > 0 {
		t.Errorf("%s: want exactly one YAML document", file)
	}
	f, err := cueyaml.Extract(file, data)
	if err != nil {
		t.Fatalf("%s: decoding YAML: %v", file, err)
	}
	v := cuecontext.New().BuildFile(f)
	var obj map[string]any
	if err := v.Decode(&obj); err != nil {
		t.Fatalf("%s: decoding: %v", file, err)
	}
	d := definition{file: file, dir: path.Dir(file), name: strings.TrimSuffix(path.Base(file), ".yaml"), obj: obj}
	str := func(p string) string { s, _ := v.LookupPath(cue.ParsePath(p)).String(); return s }
	if got := str("apiVersion"); got != "core.oam.dev/v1beta1" {
		t.Errorf("%s: apiVersion %q", file, got)
	}
	if want, got := kindByDir[d.dir], str("kind"); got != want {
		t.Errorf("%s: kind %q, want %q", file, got, want)
	}
	if got := str("metadata.name"); got != d.name {
		t.Errorf("%s: metadata.name %q, want the file name %q", file, got, d.name)
	}
	if got := str("metadata.namespace"); got != "vela-system" {
		t.Errorf("%s: metadata.namespace %q, want vela-system", file, got)
	}
	if got := str(`metadata.annotations."definition.oam.dev/description"`); len(got) < 10 {
		t.Errorf("%s: missing or too short description annotation", file)
	}
	meta, _ := obj["metadata"].(map[string]any)
	for _, field := range []string{"labels", "annotations"} {
		m, _ := meta[field].(map[string]any)
		for k, v := range m {
			if _, ok := v.(string); !ok {
				t.Errorf("%s: metadata.%s[%q] is %T, Kubernetes wants a string (quote it)", file, field, k, v)
			}
		}
	}
	d.template = str("spec.schematic.cue.template")
	if d.template == "" {
		t.Errorf("%s: empty spec.schematic.cue.template", file)
	}
	return d
}

func TestDefinitionsDecode(t *testing.T) {
	defs := loadDefinitions(t)
	seen := map[string]string{}
	for _, d := range defs {
		if other, dup := seen[d.dir+"/"+d.name]; dup {
			t.Errorf("%s and %s both define %s", d.file, other, d.name)
		}
		seen[d.dir+"/"+d.name] = d.file
		if _, ok := kindByDir[d.dir]; !ok {
			t.Errorf("%s: unexpected directory %q", d.file, d.dir)
		}
		if _, err := parser.ParseFile(d.file, d.template, parser.ParseComments); err != nil {
			t.Errorf("%s: template does not parse: %v", d.file, err)
		}
		for _, field := range []string{"healthPolicy", "customStatus"} {
			if s := d.status(field); s != "" {
				if _, err := parser.ParseFile(d.file+":"+field, s); err != nil {
					t.Errorf("%s: status.%s does not parse: %v", d.file, field, err)
				}
			}
		}
		spec, _ := d.obj["spec"].(map[string]any)
		switch d.dir {
		case "components":
			w, _ := spec["workload"].(map[string]any)
			if w == nil || (w["type"] == nil && w["definition"] == nil) {
				t.Errorf("%s: spec.workload needs a type or a definition", d.file)
			}
		case "traits":
			if _, ok := spec["appliesToWorkloads"]; !ok {
				t.Errorf("%s: spec.appliesToWorkloads missing", d.file)
			}
			if _, ok := spec["podDisruptive"]; !ok {
				t.Errorf("%s: spec.podDisruptive missing", d.file)
			}
		}
	}
}

// TestTemplatesAreFormatted keeps the templates in `cue fmt` form, which is also how
// `vela def get` shows them.
func TestTemplatesAreFormatted(t *testing.T) {
	for _, d := range loadDefinitions(t) {
		out, err := format.Source([]byte(d.template))
		if err != nil {
			t.Errorf("%s: %v", d.file, err)
			continue
		}
		if string(out) != d.template {
			t.Errorf("%s: template is not formatted like cue fmt does", d.file)
		}
	}
}

// TestBuiltinSet pins the names velad promises to ship (KubeVela's built-ins).
func TestBuiltinSet(t *testing.T) {
	want := map[string][]string{
		"components": {"cron-task", "daemon", "k8s-objects", "ref-objects", "statefulset", "task", "webservice", "worker"},
		"traits": {"affinity", "annotations", "command", "container-image", "container-ports", "cpuscaler", "env",
			"expose", "gateway", "hostalias", "hpa", "init-container", "json-merge-patch", "json-patch",
			"k8s-update-strategy", "labels", "lifecycle", "podsecuritycontext", "resource", "scaler",
			"securitycontext", "service-account", "sidecar", "startup-probe", "storage", "topologyspreadconstraints"},
		"policies": {"apply-once", "garbage-collect", "override", "read-only", "replication", "resource-update",
			"shared-resource", "take-over", "topology"},
		"workflowsteps": {"apply-component", "apply-object", "collect-service-endpoints", "depends-on-app", "deploy",
			"export2config", "export2secret", "notification", "print-message-in-status", "read-object", "request",
			"step-group", "suspend", "webhook"},
	}
	got := map[string][]string{}
	for _, d := range loadDefinitions(t) {
		got[d.dir] = append(got[d.dir], d.name)
	}
	for dir, names := range want {
		have := map[string]bool{}
		for _, n := range got[dir] {
			have[n] = true
		}
		for _, n := range names {
			if !have[n] {
				t.Errorf("%s/%s.yaml is missing", dir, n)
			}
		}
	}
}

// contextStub is the context a component template sees, plus the workload's output for
// traits.
func contextStub(output string) string {
	if output == "" {
		output = "{}"
	}
	return `{
	name: "c"
	appName: "a"
	namespace: "default"
	appRevision: "a-v1"
	appRevisionNum: 1
	revision: "c-v1"
	stepName: "step"
	output: ` + output + `
	outputs: {}
}`
}

// render compiles a template with the context stub and the parameters (CUE or JSON
// text) and fails the test on any error.
func render(t *testing.T, d definition, params, output string) cue.Value {
	t.Helper()
	src := d.template + "\ncontext: " + contextStub(output) + "\nparameter: " + params + "\n"
	v := cuecontext.New().CompileString(src, cue.Filename(d.file))
	if err := v.Validate(); err != nil {
		t.Fatalf("%s with %s: %v", d.name, params, err)
	}
	return v
}

// concrete decodes the value at p, which must be concrete.
func concrete(t *testing.T, v cue.Value, p string) map[string]any {
	t.Helper()
	f := v.LookupPath(cue.ParsePath(p))
	if !f.Exists() {
		t.Fatalf("%s: not produced", p)
	}
	if err := f.Validate(cue.Concrete(true)); err != nil {
		t.Fatalf("%s: not concrete: %v", p, err)
	}
	b, err := f.MarshalJSON()
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	var out map[string]any // via JSON, so numbers are float64 as in the checks
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return out
}

// get walks a decoded object by dotted path; numbers index lists.
func get(obj any, p string) any {
	cur := obj
	for _, k := range strings.Split(p, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[k]
		case []any:
			i := 0
			for _, r := range k {
				i = i*10 + int(r-'0')
			}
			if i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

func asJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func byName(t *testing.T, defs []definition, dir, name string) definition {
	t.Helper()
	for _, d := range defs {
		if d.dir == dir && d.name == name {
			return d
		}
	}
	t.Fatalf("%s/%s not found", dir, name)
	return definition{}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
