package controller_test

import (
	"context"
	"testing"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/application"
)

// TestIntegrationStepLogs: what a step's op.#Log actions write is stored in the
// workflow context and read back by `vela workflow logs` (application.StepLogs).
func TestIntegrationStepLogs(t *testing.T) {
	setup(t)
	ctx := context.Background()
	def := &v1beta1.WorkflowStepDefinition{}
	def.Name, def.Namespace = "chatty", "default"
	def.Spec.Schematic = &v1beta1.Schematic{CUE: &v1beta1.CUE{Template: `import "vela/op"
hello: op.#Log & {data: "hello " + parameter.who}
parameter: {who: string}
`}}
	if err := c.Create(ctx, def); err != nil {
		t.Fatal(err)
	}
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: logged}
spec:
  components: [{name: logged-web, type: webservice, properties: {image: nginx}}]
  workflow:
    steps:
    - {name: greet, type: chatty, properties: {who: world}}
    - {name: deploy, type: apply-component, properties: {component: logged-web}}
`)
	app := waitPhase(t, "logged", v1beta1.ApplicationRunning)
	logs, err := application.StepLogs(ctx, c, app, "")
	if err != nil || logs["greet"] != "hello world" {
		t.Fatalf("step logs %v (%v), want greet: hello world", logs, err)
	}
	if only, err := application.StepLogs(ctx, c, app, "deploy"); err != nil || len(only) != 0 {
		t.Fatalf("deploy logged nothing, got %v (%v)", only, err)
	}
}
