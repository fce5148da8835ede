package appfile

import (
	"context"
	"testing"
)

// TestBuiltinDefinitionsVet compiles every embedded built-in definition
// (templates importing vela/op included) and its status snippets.
func TestBuiltinDefinitionsVet(t *testing.T) {
	ctx := context.Background()
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t)
	n := 0
	for _, kind := range DefinitionKinds {
		defs, err := set.List(ctx, kind, "default")
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range defs {
			n++
			if err := NewTemplate(d).Vet(ctx, e); err != nil {
				t.Errorf("%v", err)
			}
		}
	}
	t.Logf("vetted %d built-in definitions", n)
}
