package addon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/parser"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"velad.io/velad/pkg/appfile"
	"velad.io/velad/pkg/cue/deffile"
	"velad.io/velad/pkg/velaql"
)

const (
	appAPIVersion = "core.oam.dev/v1beta1"
	appKind       = "Application"
)

// Rendered is everything enabling an addon writes.
type Rendered struct {
	// App is the `addon-<name>` Application in vela-system.
	App *unstructured.Unstructured
	// Auxiliary are the `outputs` of template.cue, applied beside the Application.
	Auxiliary []*unstructured.Unstructured
	// Definitions are the X-Definitions from definitions/, in vela-system.
	Definitions []*unstructured.Unstructured
	// Views are the VelaQL view ConfigMaps from views/, in vela-system.
	Views []*unstructured.Unstructured
	// Notes is the `notes` string of NOTES.cue, "" without one.
	Notes string
	// UnknownParameters are given parameters parameter.cue does not declare (typos?).
	UnknownParameters []string
}

// Render renders a into its Application, auxiliary objects, definitions and notes.
// parameter holds the user's parameters (`--clusters` under "clusters"); clusters,
// when non-empty, adds a topology policy delivering to those clusters.
func Render(a *Addon, parameter map[string]any, clusters []string) (*Rendered, error) {
	if parameter == nil {
		parameter = map[string]any{}
	}
	ctx, err := a.context()
	if err != nil {
		return nil, err
	}
	r := &Rendered{}
	var app map[string]any
	if a.TemplateCUE != nil {
		app, r.Auxiliary, err = a.renderCUETemplate(parameter, ctx)
	} else {
		app, err = a.renderLegacyTemplate(parameter, ctx)
	}
	if err != nil {
		return nil, err
	}
	if err := a.appendYAMLResources(app); err != nil {
		return nil, err
	}
	r.App = a.finishApp(app, clusters)
	if r.Definitions, err = a.renderDefinitions(); err != nil {
		return nil, err
	}
	if r.Views, err = a.renderViews(); err != nil {
		return nil, err
	}
	if r.Notes, err = a.renderNotes(parameter, ctx); err != nil {
		return nil, err
	}
	r.UnknownParameters = a.unknownParameters(parameter)
	return r, nil
}

// unknownParameters lists the top-level keys of parameter that parameter.cue does not
// declare; nil when there is no parameter.cue or it accepts any key.
func (a *Addon) unknownParameters(parameter map[string]any) []string {
	if a.Parameter == nil {
		return nil
	}
	v, err := evalPackage(a.Source, a.cueFiles(), map[string]any{}, map[string]any{})
	if err != nil {
		return nil
	}
	pv := v.LookupPath(cue.ParsePath("parameter"))
	var unknown []string
	for k := range parameter {
		if k == ClustersParameter {
			continue
		}
		path := cue.MakePath(cue.Str(k))
		if pv.LookupPath(path).Exists() {
			continue
		}
		// A pattern constraint ([string]: string) rejects this probe; an undeclared key takes it.
		probe := pv.FillPath(path, map[string]any{"velad-probe": true})
		if probe.LookupPath(path).Validate() == nil {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	return unknown
}

// context is the `context` addon CUE sees: the metadata and where the Application goes.
func (a *Addon) context() (map[string]any, error) {
	data, err := json.Marshal(a.Meta)
	if err != nil {
		return nil, err
	}
	var meta map[string]any
	if err := json.Unmarshal(data, &meta); err != nil {
		return nil, err
	}
	return map[string]any{"metadata": meta, "appName": AppName(a.Meta.Name), "namespace": Namespace}, nil
}

// cueFiles are parameter.cue plus extra, the files one CUE package is built from.
func (a *Addon) cueFiles(extra ...File) []File {
	var files []File
	if a.Parameter != nil {
		files = append(files, *a.Parameter)
	}
	return append(files, extra...)
}

// renderCUETemplate builds template.cue, parameter.cue and resources/*.cue as one package;
// `output` is the Application and `outputs` are auxiliary objects.
func (a *Addon) renderCUETemplate(parameter, ctx map[string]any) (map[string]any, []*unstructured.Unstructured, error) {
	files := a.cueFiles(*a.TemplateCUE)
	for _, f := range a.Resources {
		if path.Ext(f.Path) == ".cue" {
			files = append(files, f)
		}
	}
	v, err := evalPackage(a.Source, files, parameter, ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("rendering addon %s: %w", a.Meta.Name, err)
	}
	ov := v.LookupPath(cue.ParsePath("output"))
	if !ov.Exists() {
		return nil, nil, fmt.Errorf("rendering addon %s: %s has no `output` field (the Application)", a.Meta.Name, path.Join(a.Source, TemplateCUEFile))
	}
	var app map[string]any
	if err := decodeConcrete(ov, "rendering addon "+a.Meta.Name+" output", &app); err != nil {
		return nil, nil, err
	}
	var aux []*unstructured.Unstructured
	if outs := v.LookupPath(cue.ParsePath("outputs")); outs.Exists() {
		it, err := outs.Fields()
		if err != nil {
			return nil, nil, fmt.Errorf("rendering addon %s outputs: %w", a.Meta.Name, cueError(err))
		}
		for it.Next() {
			var obj map[string]any
			if err := decodeConcrete(it.Value(), "rendering addon "+a.Meta.Name+" outputs."+it.Selector().String(), &obj); err != nil {
				return nil, nil, err
			}
			aux = append(aux, &unstructured.Unstructured{Object: obj})
		}
	}
	return app, aux, nil
}

// renderLegacyTemplate starts from template.yaml (or an empty Application) and appends
// one component per resources/*.cue file, whose `output` is the component.
func (a *Addon) renderLegacyTemplate(parameter, ctx map[string]any) (map[string]any, error) {
	app := map[string]any{}
	if a.TemplateYAML != nil {
		if err := yaml.Unmarshal(a.TemplateYAML.Data, &app); err != nil {
			return nil, fmt.Errorf("%s: %w", path.Join(a.Source, TemplateYAMLFile), err)
		}
	}
	for _, f := range a.Resources {
		if path.Ext(f.Path) != ".cue" {
			continue
		}
		v, err := evalPackage(a.Source, a.cueFiles(f), parameter, ctx)
		if err != nil {
			return nil, fmt.Errorf("rendering addon %s: %w", a.Meta.Name, err)
		}
		ov := v.LookupPath(cue.ParsePath("output"))
		if !ov.Exists() {
			return nil, fmt.Errorf("%s: no `output` field (a component)", path.Join(a.Source, f.Path))
		}
		var comp map[string]any
		if err := decodeConcrete(ov, path.Join(a.Source, f.Path), &comp); err != nil {
			return nil, err
		}
		if comp["name"] == nil {
			comp["name"] = strings.TrimSuffix(path.Base(f.Path), ".cue")
		}
		appendComponent(app, comp)
	}
	return app, nil
}

// appendYAMLResources adds each resources/*.yaml file as a k8s-objects component named
// after the file.
func (a *Addon) appendYAMLResources(app map[string]any) error {
	for _, f := range a.Resources {
		ext := path.Ext(f.Path)
		if ext != ".yaml" && ext != ".yml" {
			continue
		}
		objs, err := appfile.DecodeObjects(bytes.NewReader(f.Data))
		if err != nil {
			return fmt.Errorf("%s: %w", path.Join(a.Source, f.Path), err)
		}
		if len(objs) == 0 {
			continue
		}
		list := make([]any, len(objs))
		for i, o := range objs {
			list[i] = o.Object
		}
		name := strings.TrimSuffix(path.Base(f.Path), ext)
		appendComponent(app, map[string]any{"name": name, "type": "k8s-objects", "properties": map[string]any{"objects": list}})
	}
	return nil
}

func appendComponent(app, comp map[string]any) {
	spec, _ := app["spec"].(map[string]any)
	if spec == nil {
		spec = map[string]any{}
		app["spec"] = spec
	}
	comps, _ := spec["components"].([]any)
	spec["components"] = append(comps, comp)
}

// finishApp names and labels the Application and adds the topology policy for clusters.
func (a *Addon) finishApp(app map[string]any, clusters []string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: app}
	u.SetAPIVersion(appAPIVersion)
	u.SetKind(appKind)
	u.SetName(AppName(a.Meta.Name))
	u.SetNamespace(Namespace)
	labels := u.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelName], labels[LabelVersion], labels[LabelRegistry] = a.Meta.Name, a.Meta.Version, a.Registry
	u.SetLabels(labels)
	if len(a.Meta.Dependencies) > 0 {
		deps := make([]string, len(a.Meta.Dependencies))
		for i, d := range a.Meta.Dependencies {
			deps[i] = d.Name
		}
		ann := u.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[AnnotationDependencies] = strings.Join(deps, ",")
		u.SetAnnotations(ann)
	}
	if _, ok := app["spec"]; !ok {
		app["spec"] = map[string]any{}
	}
	spec := app["spec"].(map[string]any)
	if _, ok := spec["components"]; !ok {
		spec["components"] = []any{}
	}
	if len(clusters) > 0 {
		cl := make([]any, len(clusters))
		for i, c := range clusters {
			cl[i] = c
		}
		var policies []any
		old, _ := spec["policies"].([]any)
		for _, p := range old {
			if m, _ := p.(map[string]any); m == nil || m["name"] != TopologyPolicyName {
				policies = append(policies, p)
			}
		}
		spec["policies"] = append(policies, map[string]any{"name": TopologyPolicyName, "type": "topology",
			"properties": map[string]any{"clusters": cl}})
	}
	return u
}

// renderDefinitions decodes definitions/: `vela def` CUE files and YAML X-Definitions.
func (a *Addon) renderDefinitions() ([]*unstructured.Unstructured, error) {
	fromCUE := func(f File) (*unstructured.Unstructured, error) { return deffile.ToObject(string(f.Data)) }
	check := func(o *unstructured.Unstructured) error {
		if !appfile.IsDefinitionKind(o.GetKind()) {
			return fmt.Errorf("%s %q is not an X-Definition", o.GetKind(), o.GetName())
		}
		return nil
	}
	out, err := a.renderFiles(a.Definitions, fromCUE, check, nil)
	sort.SliceStable(out, func(i, j int) bool { return out[i].GetKind() < out[j].GetKind() })
	return out, err
}

// renderFiles decodes files into objects in vela-system labelled with the addon (and
// labels): a .cue file through fromCUE, a .yaml file as the objects it holds, other files
// skipped. check refuses an object; every error names the file.
func (a *Addon) renderFiles(files []File, fromCUE func(File) (*unstructured.Unstructured, error),
	check func(*unstructured.Unstructured) error, labels map[string]string) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, f := range files {
		where := path.Join(a.Source, f.Path)
		var objs []*unstructured.Unstructured
		switch path.Ext(f.Path) {
		case ".cue":
			o, err := fromCUE(f)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			objs = append(objs, o)
		case ".yaml", ".yml":
			var err error
			if objs, err = appfile.DecodeObjects(bytes.NewReader(f.Data)); err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
		default:
			continue
		}
		for _, o := range objs {
			if err := check(o); err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			o.SetNamespace(Namespace)
			l := o.GetLabels()
			if l == nil {
				l = map[string]string{}
			}
			for k, v := range labels {
				l[k] = v
			}
			l[LabelName] = a.Meta.Name
			o.SetLabels(l)
			out = append(out, o)
		}
	}
	return out, nil
}

// renderNotes evaluates NOTES.cue with parameter.cue and returns its `notes` string.
func (a *Addon) renderNotes(parameter, ctx map[string]any) (string, error) {
	if a.Notes == nil {
		return "", nil
	}
	v, err := evalPackage(a.Source, a.cueFiles(*a.Notes), parameter, ctx)
	if err != nil {
		return "", fmt.Errorf("rendering addon %s notes: %w", a.Meta.Name, err)
	}
	var notes string
	if nv := v.LookupPath(cue.ParsePath("notes")); nv.Exists() {
		if err := decodeConcrete(nv, path.Join(a.Source, NotesFile)+" notes", &notes); err != nil {
			return "", err
		}
	}
	return notes, nil
}

// renderViews turns views/ into view ConfigMaps as KubeVela does: a CUE file is the template
// of the view named after the file ("helm-release.cue" is view helm-release), a YAML file
// holds view ConfigMaps as they are. Each is labelled with the addon and LabelView.
func (a *Addon) renderViews() ([]*unstructured.Unstructured, error) {
	fromCUE := func(f File) (*unstructured.Unstructured, error) {
		if _, err := parser.ParseFile(path.Join(a.Source, f.Path), f.Data, parser.ParseComments); err != nil {
			return nil, cueError(err)
		}
		cm, err := velaql.ViewConfigMap(strings.TrimSuffix(path.Base(f.Path), path.Ext(f.Path)), string(f.Data))
		if err != nil {
			return nil, fmt.Errorf("%w (rename the file)", err)
		}
		obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(cm)
		return &unstructured.Unstructured{Object: obj}, err
	}
	check := func(o *unstructured.Unstructured) error {
		if o.GetKind() != "ConfigMap" || o.GetAPIVersion() != "v1" {
			return fmt.Errorf("%s %q is not a view: views are v1 ConfigMaps with the CUE template under data.%s", o.GetKind(), o.GetName(), velaql.TemplateKey)
		}
		if _, ok, _ := unstructured.NestedString(o.Object, "data", velaql.TemplateKey); !ok {
			return fmt.Errorf("configmap %q has no data.%s (the view's CUE template)", o.GetName(), velaql.TemplateKey)
		}
		return nil
	}
	return a.renderFiles(a.Views, fromCUE, check, map[string]string{LabelView: "true"})
}
