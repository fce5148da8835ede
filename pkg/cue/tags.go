package cue

import (
	"strings"

	"cuelang.org/go/cue/ast"
)

// staticTags collects +patchKey/+patchStrategy comments from a template's
// syntax, keyed by field shape path from the file root ("patch.spec.template.
// spec.containers", list items as "[]"). Reading the syntax rather than the
// evaluated value keeps comments written inside `if` and `for` comprehensions,
// which evaluation drops.
func staticTags(f *ast.File) map[string]Tags {
	out := map[string]Tags{}
	for _, d := range f.Decls {
		walkDecl(d, "", out)
	}
	return out
}

func walkDecl(d ast.Decl, shape string, out map[string]Tags) {
	switch n := d.(type) {
	case *ast.Field:
		name, _, err := ast.LabelName(n.Label)
		if err != nil || name == "" {
			return // dynamic or pattern label: no static path
		}
		fshape := joinPath(shape, name)
		if t := commentTags(ast.Comments(n)); t != (Tags{}) {
			// `// +tag` above `a: b: c: v` annotates c, the field the shorthand ends in
			// (KubeVela's scaler: `patch: spec: replicas:`), except the whole-document
			// strategies, which annotate the patch itself.
			target := fshape
			if t.PatchStrategy != StrategyJSONPatch && t.PatchStrategy != StrategyJSONMergePatch {
				target = shorthandEnd(n.Value, fshape)
			}
			prev := out[target]
			if t.PatchKey == "" {
				t.PatchKey = prev.PatchKey
			}
			if t.PatchStrategy == "" {
				t.PatchStrategy = prev.PatchStrategy
			}
			out[target] = t
		}
		walkExpr(n.Value, fshape, out)
	case *ast.Comprehension:
		walkExpr(n.Value, shape, out)
	case *ast.EmbedDecl:
		walkExpr(n.Expr, shape, out)
	}
}

// shorthandEnd follows a brace-less single-field chain (`b: c: v`) from a
// field's value and returns the shape path of its last field.
func shorthandEnd(v ast.Expr, shape string) string {
	for {
		st, ok := v.(*ast.StructLit)
		if !ok || st.Lbrace.IsValid() || len(st.Elts) != 1 {
			return shape
		}
		f, ok := st.Elts[0].(*ast.Field)
		if !ok {
			return shape
		}
		name, _, err := ast.LabelName(f.Label)
		if err != nil {
			return shape
		}
		shape, v = joinPath(shape, name), f.Value
	}
}

func walkExpr(e ast.Expr, shape string, out map[string]Tags) {
	switch n := e.(type) {
	case *ast.StructLit:
		for _, d := range n.Elts {
			walkDecl(d, shape, out)
		}
	case *ast.ListLit:
		for _, el := range n.Elts {
			walkExpr(el, shape+"[]", out)
		}
	case *ast.Comprehension:
		walkExpr(n.Value, shape, out)
	case *ast.Ellipsis:
		if n.Type != nil {
			walkExpr(n.Type, shape, out)
		}
	case *ast.BinaryExpr:
		walkExpr(n.X, shape, out)
		walkExpr(n.Y, shape, out)
	case *ast.ParenExpr:
		walkExpr(n.X, shape, out)
	case *ast.UnaryExpr:
		walkExpr(n.X, shape, out)
	}
}

func commentTags(groups []*ast.CommentGroup) Tags {
	var t Tags
	for _, cg := range groups {
		for _, c := range cg.List {
			line := strings.TrimSpace(strings.TrimPrefix(c.Text, "//"))
			if k, ok := strings.CutPrefix(line, "+patchKey="); ok {
				t.PatchKey = strings.TrimSpace(k)
			}
			if s, ok := strings.CutPrefix(line, "+patchStrategy="); ok {
				t.PatchStrategy = strings.TrimSpace(s)
			}
		}
	}
	return t
}

// subTags returns the tags under prefix, re-keyed relative to it ("" for prefix itself).
func subTags(all map[string]Tags, prefix string) map[string]Tags {
	out := map[string]Tags{}
	for k, t := range all {
		switch {
		case k == prefix:
			out[""] = t
		case strings.HasPrefix(k, prefix+"."):
			out[k[len(prefix)+1:]] = t
		case strings.HasPrefix(k, prefix+"[]"):
			out[k[len(prefix):]] = t
		}
	}
	return out
}
