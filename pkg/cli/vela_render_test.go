package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
)

// runVela runs one vela command offline and returns stdout and stderr.
func runVela(t *testing.T, cmd func(genericiooptions.IOStreams) *cobra.Command, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &errOut}
	c := cmd(streams)
	c.SetArgs(args)
	c.SetOut(&out)
	c.SetErr(&errOut)
	err := c.Execute()
	return out.String(), errOut.String(), err
}

func offline(f func(genericiooptions.IOStreams, RESTConfigGetter) *cobra.Command) func(genericiooptions.IOStreams) *cobra.Command {
	return func(s genericiooptions.IOStreams) *cobra.Command { return f(s, nil) }
}

const testApp = `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop}
spec:
  components:
    - name: web
      type: webservice
      properties: {image: nginx:1.25, port: 80}
      traits:
        - type: scaler
          properties: {replicas: 2}
`

func TestDryRunCommand(t *testing.T) {
	out, _, err := runVela(t, offline(NewDryRunCommand), testApp, "-f", "-", "--offline")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Application(shop) -- Component(web)", "kind: Deployment", "image: nginx:1.25", "replicas: 2", "workload.oam.dev/type: webservice"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out)
		}
	}
	_, _, err = runVela(t, offline(NewDryRunCommand), strings.ReplaceAll(testApp, "type: webservice", "type: nosuch"), "-f", "-")
	if err == nil || !strings.Contains(err.Error(), `ComponentDefinition "nosuch" not found`) {
		t.Errorf("unknown type error = %v", err)
	}
}

func TestDefRenderVetInit(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "my-trait.cue")
	if _, _, err := runVela(t, offline(NewDefCommand), "", "init", "my-trait", "--type", "trait", "--desc", "Adds annotations", "-o", file); err != nil {
		t.Fatal(err)
	}
	out, _, err := runVela(t, offline(NewDefCommand), "", "render", file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind: TraitDefinition", "name: my-trait", "definition.oam.dev/description: Adds annotations", "patch: metadata: annotations: parameter"} {
		if !strings.Contains(out, want) {
			t.Errorf("render output lacks %q:\n%s", want, out)
		}
	}
	if out, _, err = runVela(t, offline(NewDefCommand), "", "vet", file); err != nil || !strings.Contains(out, "✓ TraitDefinition my-trait") {
		t.Errorf("vet: %v\n%s", err, out)
	}
	bad := filepath.Join(dir, "bad.cue")
	if err := os.WriteFile(bad, []byte("bad: {type: \"trait\"}\ntemplate: {patch: x: foo.bar}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, err := runVela(t, offline(NewDefCommand), "", "vet", bad); err == nil || !strings.Contains(errOut, `reference "foo" not found`) {
		t.Errorf("vet of a broken template: %v\n%s", err, errOut)
	}
}

func TestShowAndListTypes(t *testing.T) {
	out, _, err := runVela(t, offline(NewShowCommand), "", "webservice", "--offline")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "NAME") || !strings.Contains(out, "image") {
		t.Errorf("show output:\n%s", out)
	}
	out, _, err = runVela(t, offline(NewTraitsCommand), "", "--offline")
	if err != nil || !strings.Contains(out, "scaler") || !strings.Contains(out, "APPLIES-TO") {
		t.Errorf("traits: %v\n%s", err, out)
	}
	out, _, err = runVela(t, offline(NewWorkflowStepsCommand), "", "--offline", "-o", "json")
	if err != nil || !strings.Contains(out, `"name": "deploy"`) {
		t.Errorf("workflowsteps -o json: %v\n%s", err, out)
	}
}
