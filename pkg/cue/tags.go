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

// tagsAreStatic reports whether staticTags(f) are all the patch annotations a
// rendered `patch` or `patchOutputs` entry can carry, so that decoding it need
// not read every field's comments: the template imports nothing (packages may
// carry comments), every `+patchKey`/`+patchStrategy` comment sits on a field
// staticTags reaches under `patch` or `patchOutputs` — at most one per field
// shape, none above a brace-less `a: b: c` chain (whose comment the evaluated
// value puts on `a`, staticTags on `c`) — nothing refers to a node holding
// such a comment (it would carry it elsewhere), and there are no bytes
// literals (JSON would encode them as base64 where the walk keeps the text).
func tagsAreStatic(f *ast.File) bool {
	tagged := map[*ast.CommentGroup]bool{}
	ok := true
	ast.Walk(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.ImportDecl:
			ok = false
		case *ast.BasicLit:
			if strings.HasPrefix(x.Value, "'") {
				ok = false
			}
		}
		for _, cg := range ast.Comments(n) {
			if hasPatchTag(cg) {
				tagged[cg] = true
				// A tag after a field or on its line: the reference path reads only the doc
				// comment above a field (cue.Value.Doc), so only that placement is static.
				if !cg.Doc || cg.Line {
					ok = false
				}
			}
		}
		return ok
	}, nil)
	if !ok {
		return false
	}
	if len(tagged) == 0 {
		return true
	}
	seen := map[*ast.CommentGroup]bool{}
	shapes := map[string]bool{}
	var decl func(d ast.Decl, shape string)
	var expr func(e ast.Expr, shape string)
	decl = func(d ast.Decl, shape string) {
		switch n := d.(type) {
		case *ast.Field:
			name, _, err := ast.LabelName(n.Label)
			if err != nil || name == "" {
				return
			}
			fshape := joinPath(shape, name)
			var mine []*ast.CommentGroup
			for _, cg := range ast.Comments(n) {
				if tagged[cg] {
					mine = append(mine, cg)
				}
			}
			if len(mine) > 0 {
				t := commentTags(mine)
				whole := t.PatchStrategy == StrategyJSONPatch || t.PatchStrategy == StrategyJSONMergePatch
				if shapes[fshape] || (!whole && shorthandEnd(n.Value, fshape) != fshape) {
					ok = false
				}
				shapes[fshape] = true
				for _, cg := range mine {
					seen[cg] = true
				}
			}
			expr(n.Value, fshape)
		case *ast.Comprehension:
			expr(n.Value, shape)
		case *ast.EmbedDecl:
			expr(n.Expr, shape)
		}
	}
	expr = func(e ast.Expr, shape string) {
		switch n := e.(type) {
		case *ast.StructLit:
			for _, d := range n.Elts {
				decl(d, shape)
			}
		case *ast.ListLit:
			for _, el := range n.Elts {
				expr(el, shape+"[]")
			}
		case *ast.Comprehension:
			expr(n.Value, shape)
		case *ast.Ellipsis:
			if n.Type != nil {
				expr(n.Type, shape)
			}
		case *ast.BinaryExpr:
			expr(n.X, shape)
			expr(n.Y, shape)
		case *ast.ParenExpr:
			expr(n.X, shape)
		case *ast.UnaryExpr:
			expr(n.X, shape)
		}
	}
	for _, d := range f.Decls {
		if fd, isField := d.(*ast.Field); isField {
			if name, _, _ := ast.LabelName(fd.Label); name == "patch" || name == "patchOutputs" {
				decl(d, "")
			}
		}
	}
	if !ok || len(seen) != len(tagged) {
		return false
	}
	// No reference may lead to a node that holds a tagged comment.
	ast.Walk(f, func(n ast.Node) bool {
		id, isIdent := n.(*ast.Ident)
		if !isIdent || id.Node == nil || !id.Node.Pos().IsValid() {
			return ok
		}
		from, to := id.Node.Pos().Offset(), id.Node.End().Offset()
		for cg := range tagged {
			if at := cg.Pos().Offset(); from <= at && at < to {
				ok = false
			}
		}
		return ok
	}, nil)
	return ok
}

func hasPatchTag(cg *ast.CommentGroup) bool {
	for _, c := range cg.List {
		if strings.Contains(c.Text, "+patchKey=") || strings.Contains(c.Text, "+patchStrategy=") {
			return true
		}
	}
	return false
}
