package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"velad.io/velad/pkg/velaql"
)

// nsView reads a namespace and exports its labels and phase.
const nsView = `import "vela/ql"
parameter: {name: string}
ns: ql.#Read & {value: {apiVersion: "v1", kind: "Namespace", metadata: name: parameter.name}}
status: {
	phase:  ns.value.status.phase
	labels: ns.value.metadata.labels
}
`

// vela ql runs a stored view (--query) and a view file (--file KEY=VALUE).
func TestIntegrationVelaQL(t *testing.T) {
	c := appClient(t)
	ctx := context.Background()
	createNamespace(t, c, "vela-system")
	view, err := velaql.ViewConfigMap("ns-view", nsView)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, view); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), view) })

	if out := mustVela(t, "ql", "--query", "ns-view{name=vela-system}.status.phase"); strings.TrimSpace(out) != "Active" {
		t.Errorf("a string result prints as it is: %q", out)
	}
	out := mustVela(t, "ql", "--query", "ns-view{name=vela-system}", "-o", "yaml")
	contains(t, out, "phase: Active", "kubernetes.io/metadata.name: vela-system")

	file := filepath.Join(t.TempDir(), "view.cue")
	if err := os.WriteFile(file, []byte(nsView), 0o644); err != nil {
		t.Fatal(err)
	}
	contains(t, mustVela(t, "ql", "--file", file, "name=default"), `"phase": "Active"`, `"kubernetes.io/metadata.name": "default"`)

	for args, want := range map[string]string{
		"ql --query no-such-view":            "no ConfigMap vela-system/no-such-view holds view",
		"ql --query ns-view":                 "parameter.name",
		"ql --query ns-view{name=x}.nothere": `no field "nothere"`,
		"ql":                                 "give exactly one of --query",
	} {
		if _, err := velaRun(t, "", strings.Fields(args)...); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("vela %s: error %v, want it to contain %q", args, err, want)
		}
	}
}
