package addon

import (
	"fmt"
	"path"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"

	vcue "velad.io/velad/pkg/cue"
)

// inputsDecl declares what the renderer fills, so files may reference them before filling.
const inputsDecl = "context: _\nparameter: _\n"

// evalPackage builds files as one CUE package (KubeVela addons use `package main` across
// template.cue, parameter.cue and resources/*.cue), then fills parameter and context
// (encoded, in one fill: vcue.FillInputs).
// Error positions name the files relative to source.
func evalPackage(source string, files []File, parameter, context map[string]any) (cue.Value, error) {
	inst := build.NewContext().NewInstance("", nil)
	all := append([]File{{Path: "(inputs).cue", Data: []byte(inputsDecl)}}, files...)
	for _, f := range all {
		af, err := parser.ParseFile(path.Join(source, f.Path), f.Data, parser.ParseComments)
		if err != nil {
			return cue.Value{}, cueError(err)
		}
		setPackage(af, "main")
		if err := inst.AddSyntax(af); err != nil {
			return cue.Value{}, cueError(err)
		}
	}
	v := cuecontext.New().BuildInstance(inst)
	if err := v.Err(); err != nil {
		return cue.Value{}, cueError(err)
	}
	v = vcue.FillInputs(v, parameter, context)
	if err := v.Err(); err != nil {
		return cue.Value{}, cueError(err)
	}
	return v, nil
}

// setPackage puts every file in package name, so files with and without a package
// clause (or another name) build together and see each other's fields.
func setPackage(f *ast.File, name string) {
	for _, d := range f.Decls {
		if p, ok := d.(*ast.Package); ok {
			p.Name = ast.NewIdent(name)
			return
		}
	}
	f.Decls = append([]ast.Decl{&ast.Package{Name: ast.NewIdent(name)}}, f.Decls...)
}

// decodeConcrete decodes v (at the field named what) into a Go value, reporting
// incomplete fields with their file positions.
func decodeConcrete(v cue.Value, what string, out any) error {
	if err := v.Validate(cue.Concrete(true)); err != nil {
		hint := ""
		if strings.Contains(err.Error(), "incomplete value") {
			hint = " (a parameter without a default needs a value: pass it as key=value)"
		}
		return fmt.Errorf("%s%s: %w", what, hint, cueError(err))
	}
	if err := v.Decode(out); err != nil {
		return fmt.Errorf("%s: %w", what, cueError(err))
	}
	return nil
}

// cueError flattens a CUE error list into one message with file:line:column positions.
func cueError(err error) error {
	return fmt.Errorf("%s", cueerrors.Details(err, nil))
}
