package cue

import (
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/parser"
	k8sjson "k8s.io/apimachinery/pkg/util/json"
)

// split is a template cut in two for rendering. The schema part (imports, the
// `parameter` declarations and the definitions they use) is evaluated alone
// against the user's parameter; its result is filled as `parameter` into the
// body (the rest of the template, less the definitions only the schema uses).
// Filling the whole template re-evaluates every definition (`#Probe`,
// `#VolumeMounts`...) on each render whether used or not; here the schema's
// definitions are evaluated once per worker. The body sees the same parameter
// value, defaults and all, so the output is the same.
type split struct {
	schema cue.Value // the `parameter` field of the schema part
	body   cue.Value
}

// splitTemplate cuts src, or returns nil when it cannot be cut safely: a
// top-level embedding or comprehension, or a parameter schema that refers to
// anything at file level but definitions (e.g. `*context.name | string`).
func (w *worker) splitTemplate(src string) *split {
	src += inputDecls
	f, err := parser.ParseFile("template.cue", src, parser.ParseComments)
	if err != nil {
		return nil
	}
	labels, ok := fieldLabels(f) // top-level field labels by decl index
	if !ok {
		return nil
	}
	params := -1 // index of the trailing `parameter: _`
	for i, l := range labels {
		if l == "parameter" {
			params = i
		}
	}
	// Which definitions each side needs, and whether the schema needs only definitions.
	schemaDefs, ok := fileRefs(f, labels, func(i int) bool { return labels[i] == "parameter" })
	if !ok {
		return nil
	}
	bodyDefs, _ := fileRefs(f, labels, func(i int) bool { return labels[i] != "parameter" && !isDefinition(labels[i]) })
	if !removesDefinition(schemaDefs, bodyDefs) {
		return nil // nothing saved: the body would evaluate the same definitions
	}
	keepBody := func(i int) bool {
		l := labels[i]
		switch {
		case l == "parameter":
			return i == params
		case isDefinition(l):
			return bodyDefs[l]
		}
		return true
	}
	keepSchema := func(i int) bool { return labels[i] == "parameter" || schemaDefs[labels[i]] }
	schema, err := w.buildPart(src, keepSchema)
	if err != nil {
		return nil
	}
	body, err := w.buildPart(src, keepBody)
	if err != nil {
		return nil
	}
	_ = schema.Validate() // evaluate the definitions once, here
	return &split{schema: schema.LookupPath(field("parameter")), body: body}
}

// removesDefinition reports whether the schema uses a definition the body does not.
func removesDefinition(schema, body map[string]bool) bool {
	for d := range schema {
		if !body[d] {
			return true
		}
	}
	return false
}

// inputDecls declares context and parameter after the template (see worker.build).
const inputDecls = "\ncontext: _\nparameter: _\n"

func isDefinition(label string) bool {
	return strings.HasPrefix(label, "#") || strings.HasPrefix(label, "_#")
}

// fileRefs returns the definitions the fields selected by from use, directly
// or through other definitions; ok is false when they use a file-level name
// that is neither a definition nor `parameter` (a let, a hidden field,
// `context`, an output).
func fileRefs(f *ast.File, labels []string, from func(i int) bool) (defs map[string]bool, ok bool) {
	defs = map[string]bool{}
	ok = true
	var visit func(i int)
	visit = func(i int) {
		ast.Walk(f.Decls[i], func(n ast.Node) bool {
			id, isIdent := n.(*ast.Ident)
			if !isIdent || id.Scope != f {
				return true
			}
			switch {
			case isDefinition(id.Name):
				if !defs[id.Name] {
					defs[id.Name] = true
					for j, l := range labels {
						if l == id.Name {
							visit(j)
						}
					}
				}
			case id.Name != "parameter":
				ok = false
			}
			return true
		}, nil)
	}
	for i := range f.Decls {
		if labels[i] != "" && from(i) {
			visit(i)
		}
	}
	return defs, ok
}

// buildPart parses src again and builds the top-level fields keep selects
// (by declaration index), with the imports they use.
func (w *worker) buildPart(src string, keep func(i int) bool) (cue.Value, error) {
	f, err := parser.ParseFile("template.cue", src, parser.ParseComments)
	if err != nil {
		return cue.Value{}, err
	}
	used := map[*ast.ImportSpec]bool{}
	var decls []ast.Decl
	for i, d := range f.Decls {
		if _, isField := d.(*ast.Field); isField && !keep(i) {
			continue
		}
		if _, isImport := d.(*ast.ImportDecl); !isImport {
			ast.Walk(d, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok {
					if spec, ok := id.Node.(*ast.ImportSpec); ok {
						used[spec] = true
					}
				}
				return true
			}, nil)
		}
		decls = append(decls, d)
	}
	// CUE rejects unused imports: keep only the specs this part refers to.
	f.Decls = decls[:0]
	for _, d := range decls {
		if imp, ok := d.(*ast.ImportDecl); ok {
			var specs []*ast.ImportSpec
			for _, s := range imp.Specs {
				if used[s] {
					specs = append(specs, s)
				}
			}
			if len(specs) == 0 {
				continue
			}
			imp.Specs = specs
		}
		f.Decls = append(f.Decls, d)
	}
	inst := build.NewContext().NewInstance("", nil)
	if err := inst.AddSyntax(f); err != nil {
		return cue.Value{}, err
	}
	if err := w.imports.resolve(inst, f); err != nil {
		return cue.Value{}, err
	}
	v := w.ctx.BuildInstance(inst)
	if err := v.Err(); isStructural(err) {
		return cue.Value{}, err
	}
	return v, nil
}

// render evaluates the parameter against the schema, then the body with the
// result. ok is false when the parameter does not validate or is not concrete,
// or the body reports any problem: the caller then renders the whole template,
// which gives the same result and the usual error messages. Without
// wantParameter the parameter is only checked to be valid and concrete.
func (s *split) render(parameter, cm map[string]any, tc *compiled, static, wantParameter bool) (*Result, bool) {
	pv := s.schema.Unify(s.schema.Context().Encode(parameter))
	var pm map[string]any
	if !wantParameter {
		if pv.Validate(cue.Concrete(true)) != nil {
			return nil, false
		}
	} else {
		if pv.Validate() != nil {
			return nil, false
		}
		b, err := pv.MarshalJSON()
		if err != nil {
			return nil, false
		}
		if k8sjson.Unmarshal(b, &pm) != nil {
			return nil, false
		}
	}
	in := s.body.Context().Encode(map[string]any{"parameter": pv, "context": cm})
	v := s.body.FillPath(cue.MakePath(), in)
	res, err := tc.result(v, pm, static)
	return res, err == nil
}
