// Package deffile converts between KubeVela's `vela def` CUE file format and
// X-Definition objects. A def file has optional imports, one top-level field
// named after the definition holding its metadata
//
//	"my-trait": {
//		type:        "trait"            // component | trait | policy | workflow-step
//		description: "..."
//		annotations: {}
//		labels:      {}
//		attributes:  {appliesToWorkloads: ["deployments.apps"], podDisruptive: true}
//	}
//
// and a `template: {...}` field whose body (with the imports) becomes
// spec.schematic.cue.template. It depends only on CUE and apimachinery.
package deffile

import (
	"fmt"
	"sort"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// APIVersion of the objects ToObject produces.
const APIVersion = "core.oam.dev/v1beta1"

const descriptionAnnotation = "definition.oam.dev/description"

var kindByType = map[string]string{
	"component":     "ComponentDefinition",
	"trait":         "TraitDefinition",
	"policy":        "PolicyDefinition",
	"workflow-step": "WorkflowStepDefinition",
}

// TypeOfKind maps an X-Definition kind to its def-file type ("trait"), or "".
func TypeOfKind(kind string) string {
	for t, k := range kindByType {
		if k == kind {
			return t
		}
	}
	return ""
}

// ToObject parses a def file into an X-Definition object.
func ToObject(src string) (*unstructured.Unstructured, error) {
	f, err := parser.ParseFile("def.cue", src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parsing def file: %w", err)
	}
	var imports []ast.Decl
	var tmpl *ast.Field
	var meta *ast.Field
	for _, d := range f.Decls {
		switch x := d.(type) {
		case *ast.ImportDecl:
			imports = append(imports, x)
		case *ast.Field:
			name, _, _ := ast.LabelName(x.Label)
			if name == "template" {
				tmpl = x
			} else if meta == nil {
				meta = x
			} else {
				return nil, fmt.Errorf("def file has more than one definition block (%q and %q)", labelOf(meta), name)
			}
		}
	}
	if meta == nil {
		return nil, fmt.Errorf(`def file has no definition block (expected "<name>": {type: "trait", ...})`)
	}
	if tmpl == nil {
		return nil, fmt.Errorf("def file %q has no template block", labelOf(meta))
	}
	obj, err := metaObject(labelOf(meta), meta.Value)
	if err != nil {
		return nil, err
	}
	body, err := templateBody(imports, tmpl.Value)
	if err != nil {
		return nil, err
	}
	if err := unstructured.SetNestedField(obj.Object, body, "spec", "schematic", "cue", "template"); err != nil {
		return nil, err
	}
	return obj, nil
}

func labelOf(f *ast.Field) string {
	name, _, _ := ast.LabelName(f.Label)
	return name
}

// metaObject evaluates the definition block and builds the object around it.
func metaObject(name string, expr ast.Expr) (*unstructured.Unstructured, error) {
	v := cuecontext.New().BuildExpr(expr)
	if err := v.Validate(cue.Concrete(true)); err != nil {
		return nil, fmt.Errorf("definition block %q: %w", name, err)
	}
	var m struct {
		Type        string            `json:"type"`
		Description string            `json:"description"`
		Annotations map[string]string `json:"annotations"`
		Labels      map[string]string `json:"labels"`
		Attributes  map[string]any    `json:"attributes"`
	}
	if err := v.Decode(&m); err != nil {
		return nil, fmt.Errorf("definition block %q: %w", name, err)
	}
	kind, ok := kindByType[m.Type]
	if !ok {
		return nil, fmt.Errorf("definition block %q: type %q is not one of component, trait, policy, workflow-step", name, m.Type)
	}
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetAPIVersion(APIVersion)
	u.SetKind(kind)
	u.SetName(name)
	ann := map[string]string{}
	for k, v := range m.Annotations {
		ann[k] = v
	}
	if m.Description != "" {
		ann[descriptionAnnotation] = m.Description
	}
	if len(ann) > 0 {
		u.SetAnnotations(ann)
	}
	if len(m.Labels) > 0 {
		u.SetLabels(m.Labels)
	}
	spec := map[string]any{}
	for k, v := range m.Attributes {
		spec[k] = normalize(v)
	}
	u.Object["spec"] = spec
	return u, nil
}

// normalize turns decoded numbers into int64 where whole, as unstructured expects.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
	case int:
		return int64(x)
	}
	return v
}

// templateBody prints the imports and the template struct's fields as a
// standalone CUE template.
func templateBody(imports []ast.Decl, expr ast.Expr) (string, error) {
	st, ok := expr.(*ast.StructLit)
	if !ok {
		return "", fmt.Errorf("template must be a struct literal `template: {...}`")
	}
	file := &ast.File{Decls: append(append([]ast.Decl{}, imports...), st.Elts...)}
	b, err := format.Node(file, format.Simplify())
	if err != nil {
		return "", fmt.Errorf("formatting template: %w", err)
	}
	return string(b), nil
}

// FromObject renders an X-Definition object as a def file.
func FromObject(u *unstructured.Unstructured) (string, error) {
	typ := TypeOfKind(u.GetKind())
	if typ == "" {
		return "", fmt.Errorf("%s is not an X-Definition kind", u.GetKind())
	}
	tmpl, _, _ := unstructured.NestedString(u.Object, "spec", "schematic", "cue", "template")
	tf, err := parser.ParseFile("template.cue", tmpl, parser.ParseComments)
	if err != nil {
		return "", fmt.Errorf("parsing %s %q template: %w", u.GetKind(), u.GetName(), err)
	}
	var imports, body []ast.Decl
	for _, d := range tf.Decls {
		if _, ok := d.(*ast.ImportDecl); ok {
			imports = append(imports, d)
		} else {
			body = append(body, d)
		}
	}
	meta, err := metaExpr(u, typ)
	if err != nil {
		return "", err
	}
	file := &ast.File{Decls: imports}
	file.Decls = append(file.Decls,
		&ast.Field{Label: ast.NewString(u.GetName()), Value: meta},
		&ast.Field{Label: ast.NewIdent("template"), Value: &ast.StructLit{Elts: body}})
	b, err := format.Node(file, format.Simplify())
	if err != nil {
		return "", fmt.Errorf("formatting def file: %w", err)
	}
	return string(b), nil
}

func metaExpr(u *unstructured.Unstructured, typ string) (ast.Expr, error) {
	ann := map[string]string{}
	for k, v := range u.GetAnnotations() {
		if k != descriptionAnnotation {
			ann[k] = v
		}
	}
	attrs := map[string]any{}
	if spec, ok := u.Object["spec"].(map[string]any); ok {
		keys := make([]string, 0, len(spec))
		for k := range spec {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k != "schematic" {
				attrs[k] = spec[k]
			}
		}
	}
	m := map[string]any{
		"type":        typ,
		"description": u.GetAnnotations()[descriptionAnnotation],
		"annotations": ann,
		"labels":      stringMap(u.GetLabels()),
		"attributes":  attrs,
	}
	v := cuecontext.New().Encode(m)
	if v.Err() != nil {
		return nil, v.Err()
	}
	expr, ok := v.Syntax(cue.Final()).(ast.Expr)
	if !ok {
		return nil, fmt.Errorf("encoding metadata of %q", u.GetName())
	}
	return expr, nil
}

func stringMap(in map[string]string) map[string]string {
	if in == nil {
		return map[string]string{}
	}
	return in
}

// Name returns the definition name declared in a def file without building it.
func Name(src string) (string, error) {
	f, err := parser.ParseFile("def.cue", src)
	if err != nil {
		return "", err
	}
	for _, d := range f.Decls {
		if fl, ok := d.(*ast.Field); ok {
			if n := labelOf(fl); n != "template" {
				return strings.TrimSpace(n), nil
			}
		}
	}
	return "", fmt.Errorf("no definition block")
}
