package cue_test

import (
	"context"
	"fmt"

	"velad.io/velad/pkg/cue"
)

// A component template renders its output; a trait's patch is merged into it.
func Example() {
	e, err := cue.New()
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	comp, err := e.Render(ctx, `
output: {
	apiVersion: "apps/v1"
	kind:       "Deployment"
	spec: template: spec: containers: [{name: context.name, image: parameter.image}]
}
parameter: image: string
`, map[string]any{"image": "nginx"}, &cue.Context{Name: "web", AppName: "shop"})
	if err != nil {
		panic(err)
	}
	trait, err := e.Render(ctx, `
patch: spec: {
	replicas: parameter.replicas
	template: spec: {
		// +patchKey=name
		containers: [{name: context.name, env: [{name: "APP", value: context.appName}]}]
	}
}
parameter: replicas: *1 | int
`, map[string]any{"replicas": 3}, &cue.Context{Name: "web", AppName: "shop", Output: comp.Output})
	if err != nil {
		panic(err)
	}
	out, err := cue.ApplyPatch(comp.Output, trait.Patch)
	if err != nil {
		panic(err)
	}
	spec := out["spec"].(map[string]any)
	c := spec["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0]
	fmt.Println(spec["replicas"], c)
	// Output: 3 map[env:[map[name:APP value:shop]] image:nginx name:web]
}

// Errors name the field path and what was expected.
func ExampleEngine_Render_error() {
	e, _ := cue.New()
	_, err := e.Render(context.Background(), `
parameter: {image: string, port: *80 | int & >0 & <65536}
output: {kind: "Pod", spec: containers: [{image: parameter.image, ports: [{containerPort: parameter.port}]}]}
`, map[string]any{"port": 70000}, nil)
	fmt.Println(err)
	// Output: parameter.port: invalid value 70000 (out of bound <65536)
}
