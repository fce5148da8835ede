package addon_test

import (
	"fmt"

	"velad.io/velad/pkg/addon"
)

// Render an embedded addon offline: the Application `vela addon enable` would apply.
func ExampleRender() {
	a, err := addon.EmbeddedRegistry().Get("velad-hello")
	if err != nil {
		panic(err)
	}
	out, err := addon.Render(a, map[string]any{"replicas": 3}, []string{"local"})
	if err != nil {
		panic(err)
	}
	fmt.Println(out.App.GetNamespace(), out.App.GetName(), out.App.GetLabels()[addon.LabelVersion])
	fmt.Println(out.Notes)
	// Output:
	// vela-system addon-velad-hello 1.0.0
	// velad-hello 1.0.0 runs 3 replica(s) in vela-system; try: vela status addon-velad-hello -n vela-system
}

// Parameters as `vela addon enable NAME key=value…` passes them.
func ExampleParseParameters() {
	p, err := addon.ParseParameters([]string{"replicas=2", "image.tag=v1", "debug=true"})
	fmt.Println(p, err)
	// Output: map[debug:true image:map[tag:v1] replicas:2] <nil>
}
