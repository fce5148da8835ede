package appfile

import (
	"context"
	"strings"
	"testing"
)

func TestLoaders(t *testing.T) {
	ctx := context.Background()
	fx := fixtures(t)
	d, err := fx.Load(ctx, KindTrait, "pod-annotations", "any")
	if err != nil {
		t.Fatalf("CUE def file not loaded: %v", err)
	}
	if d.Description != "Add annotations to the pod template" || d.AppliesToWorkloads[0] != "deployments.apps" {
		t.Errorf("definition from CUE = %+v", d)
	}
	builtin, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	// user definitions shadow built-ins of the same name
	chain := Chain{fx, builtin}
	ws, err := chain.Load(ctx, KindComponent, "webservice", "default")
	if err != nil || !strings.Contains(ws.Description, "Test fixture") {
		t.Errorf("chain should prefer the first loader: %+v %v", ws, err)
	}
	list, err := chain.List(ctx, KindComponent, "default")
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, d := range list {
		names[d.Name] = d.Description
	}
	if !strings.Contains(names["webservice"], "Test fixture") || names["worker"] == "" {
		t.Errorf("chain list = %v", names)
	}
	_, err = chain.Load(ctx, KindTrait, "nope", "team-a")
	if !IsNotFound(err) || err.Error() != `TraitDefinition "nope" not found in namespace vela-system or team-a (install it or check the spelling)` {
		t.Errorf("not found error = %v", err)
	}
	// a namespaced definition is only visible from its namespace
	local := &Definition{Kind: KindTrait, Name: "local", Namespace: "team-a", Template: "parameter: {}"}
	set := NewSet(local)
	if _, err := set.Load(ctx, KindTrait, "local", "team-b"); !IsNotFound(err) {
		t.Errorf("team-a definition visible from team-b: %v", err)
	}
	if _, err := set.Load(ctx, KindTrait, "local", "team-a"); err != nil {
		t.Errorf("team-a definition not visible from team-a: %v", err)
	}
}

func TestDefinitionErrors(t *testing.T) {
	for in, want := range map[string]string{
		"kind: TraitDefinition\nmetadata: {}\n":                      "without metadata.name",
		"kind: ComponentDefinition\nmetadata: {name: x}\nspec: {}\n": "has neither spec.schematic.cue.template nor spec.workload.definition",
		"kind: TraitDefinition\nmetadata: {name: x}\nspec: [\n":      "document 1",
	} {
		if _, err := DecodeDefinitions([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}
