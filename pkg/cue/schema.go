package cue

import (
	"context"
	"fmt"
	"strings"

	"cuelang.org/go/cue"
)

// Param describes one field of a template's `parameter`, for `vela show`.
type Param struct {
	// Name is the dotted path below parameter ("ports[].port" for list items).
	Name string
	// Type is a short CUE type such as string, int, bool, [...string], map[string]string or struct.
	Type string
	// Required is true when the field is not optional and has no default.
	Required bool
	// Default is the default value in CUE syntax, "" when none.
	Default string
	// Usage is the `// +usage=` comment.
	Usage string
	// Short is the `// +short=` flag letter.
	Short string
}

// maxParamDepth bounds how deep nested parameter structs are listed.
const maxParamDepth = 4

// Parameters lists the fields of template's `parameter`, depth first.
func (e *Engine) Parameters(ctx context.Context, template string) ([]Param, error) {
	var out []Param
	err := e.Do(ctx, func(w *Worker) error {
		v, err := w.Compile(template)
		if err != nil {
			return err
		}
		pv := v.LookupPath(field("parameter"))
		if !pv.Exists() {
			return nil
		}
		out = params(pv, "", 0)
		return nil
	})
	return out, err
}

func params(v cue.Value, prefix string, depth int) []Param {
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	var out []Param
	for it.Next() {
		fv := it.Value()
		name := it.Selector().Unquoted()
		if prefix != "" {
			name = prefix + "." + name
		}
		p := Param{Name: name, Type: typeName(fv)}
		if d, ok := fv.Default(); ok && d.IsConcrete() {
			p.Default = fmt.Sprint(d)
			if p.Default == "[]" {
				p.Default = "" // an open list `[...T]` defaults to [] without saying so
			}
		}
		p.Required = !it.IsOptional() && p.Default == "" && fv.Validate(cue.Concrete(true)) != nil
		for _, cg := range fv.Doc() {
			for _, c := range cg.List {
				line := strings.TrimSpace(strings.TrimPrefix(c.Text, "//"))
				if u, ok := strings.CutPrefix(line, "+usage="); ok {
					p.Usage = u
				}
				if s, ok := strings.CutPrefix(line, "+short="); ok {
					p.Short = s
				}
			}
		}
		out = append(out, p)
		if depth >= maxParamDepth {
			continue
		}
		switch {
		case p.Type == "struct":
			out = append(out, params(fv, name, depth+1)...)
		case strings.HasPrefix(p.Type, "[...") && strings.HasSuffix(p.Type, "struct]"):
			out = append(out, params(fv.LookupPath(cue.MakePath(cue.AnyIndex)), name+"[]", depth+1)...)
		}
	}
	return out
}

// typeName gives a short, readable type for a parameter value.
func typeName(v cue.Value) string {
	k := v.IncompleteKind()
	switch {
	case k == cue.StructKind:
		if el := v.LookupPath(cue.MakePath(cue.AnyString)); el.Exists() {
			if it, _ := v.Fields(cue.Optional(true)); it == nil || !it.Next() {
				return "map[string]" + typeName(el)
			}
		}
		return "struct"
	case k == cue.ListKind:
		if el := v.LookupPath(cue.MakePath(cue.AnyIndex)); el.Exists() {
			return "[..." + typeName(el) + "]"
		}
		return "list"
	}
	var kinds []string
	for _, kk := range []struct {
		k    cue.Kind
		name string
	}{{cue.StringKind, "string"}, {cue.IntKind, "int"}, {cue.FloatKind, "float"}, {cue.BoolKind, "bool"},
		{cue.NullKind, "null"}, {cue.BytesKind, "bytes"}, {cue.StructKind, "struct"}, {cue.ListKind, "list"}} {
		if k&kk.k != 0 {
			kinds = append(kinds, kk.name)
		}
	}
	if k&cue.NumberKind == cue.NumberKind {
		kinds = []string{"number"}
	}
	if len(kinds) == 0 || k == cue.TopKind {
		return "_"
	}
	return strings.Join(kinds, "|")
}
