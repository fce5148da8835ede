package op_test

import (
	"context"
	"strings"
	"testing"

	"velad.io/velad/pkg/cue"
	"velad.io/velad/pkg/cue/provider/op"
)

func TestOpSchemasCompile(t *testing.T) {
	e, err := cue.New(cue.WithProviders(op.All()...))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := `
import (
	"vela/op"
	"encoding/json"
)
load: op.#Load
apply: op.#ApplyComponent & {value: load.value[parameter.component], cluster: parameter.cluster}
read: op.#Read & {value: {apiVersion: "v1", kind: "Secret", metadata: {name: "s", namespace: "default"}}}
wait: op.#ConditionalWait & {continue: apply.output.status.readyReplicas == 1}
steps: op.#Steps & {
	if read.err != _|_ {
		notify: op.#HTTPPost & {url: "http://example", request: body: json.Marshal({msg: read.err})}
	}
}
fail: op.#Fail & {message: "no"}
deploy: op.#Deploy & {policies: ["topology"]}
list: op.#List & {resource: {apiVersion: "v1", kind: "Pod"}}
parameter: {component: string, cluster: *"" | string}
`
	res, err := e.Render(context.Background(), tmpl, map[string]any{"component": "web"}, &cue.Context{Name: "s"})
	if err != nil || res.Parameter["component"] != "web" {
		t.Fatalf("a step template renders its parameter without a runtime: %+v, %v", res, err)
	}
	if err := e.Validate(context.Background(), tmpl); err != nil {
		t.Fatalf("vela/op template does not compile: %v", err)
	}
	if err := e.Validate(context.Background(), `import "vela/op"
x: op.#Apply & {value: {}, unknownField: 1}`); err != nil {
		t.Fatalf("actions must stay open for extra fields: %v", err)
	}
	err = e.Validate(context.Background(), `import "vela/op"
x: op.#HTTPPost & {method: "GET"}`)
	if err == nil || !strings.Contains(err.Error(), "conflicting values") {
		t.Fatalf("want a conflict for #HTTPPost with method GET, got %v", err)
	}
	for _, p := range op.All() {
		if e.Provider(p.ImportPath) == nil {
			t.Errorf("provider %s not registered", p.ImportPath)
		}
	}
}
