package addon

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
)

// addonNameRE is what an addon name may be: it names the Application addon-<name>.
var addonNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Init writes a new addon called name in KubeVela's format into dir/<name> (dir "" is the
// current directory): metadata.yaml, template.cue, parameter.cue, a resource, empty
// definitions/, schemas/ and views/, and README.md. `vela addon enable ./<name>` enables it
// as it is. It returns the addon directory and refuses to write into an existing one.
func Init(name, dir string) (string, error) {
	if !addonNameRE.MatchString(name) || len(name) > 57 {
		return "", fmt.Errorf("addon name %q is not valid: use lower-case letters, digits and '-' (it names the Application addon-%s)", name, name)
	}
	if dir == "" {
		dir = "."
	}
	root := filepath.Join(dir, name)
	if _, err := os.Stat(root); err == nil {
		return "", fmt.Errorf("%s already exists: choose another --path or remove it", root)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	files := map[string]string{
		MetadataFile: fmt.Sprintf(`name: %s
version: 1.0.0
description: An addon. Describe it here in one line.
icon: ""
url: ""
tags: []
deployTo:
  runtimeCluster: false
dependencies: []
system:
  vela: ">=v1.5.0"
  kubernetes: ">=1.20"
invisible: false
`, name),
		TemplateCUEFile: `package main

// output is the addon's Application (addon-<name> in vela-system); the components are
// defined in resources/.
output: {
	apiVersion: "core.oam.dev/v1beta1"
	kind:       "Application"
	spec: {
		components: [example]
		policies: []
	}
}

// outputs are objects applied beside the Application (none yet).
outputs: {}
`,
		ParameterFile: `package main

// parameter is what vela addon enable <name> key=value sets.
parameter: {
	// +usage=The message the example ConfigMap holds
	message: *"hello" | string
	// +usage=The namespace the example ConfigMap goes to
	namespace: *"default" | string
}
`,
		ResourcesDir + "/example.cue": fmt.Sprintf(`package main

example: {
	name: "%[1]s-example"
	type: "k8s-objects"
	properties: objects: [{
		apiVersion: "v1"
		kind:       "ConfigMap"
		metadata: {
			name:      "%[1]s-example"
			namespace: parameter.namespace
		}
		data: message: parameter.message
	}]
}
`, name),
		ReadmeFile: fmt.Sprintf(`# %[1]s

Describe the addon here.

## Layout

- metadata.yaml: name, version, dependencies, system requirements
- template.cue: the Application addon-%[1]s (output) and objects beside it (outputs)
- parameter.cue: parameters, set with vela addon enable ./%[1]s key=value
- resources/: components (CUE or YAML) the template uses
- definitions/: X-Definitions (CUE or YAML) the addon installs
- schemas/, views/: UI schemas and VelaQL views

## Try it

    vela addon enable ./%[1]s message=hi
    vela addon status %[1]s
    vela addon package ./%[1]s
`, name),
		DefinitionsDir + "/.gitkeep": "",
		SchemasDir + "/.gitkeep":     "",
		ViewsDir + "/.gitkeep":       "",
	}
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return "", fmt.Errorf("creating addon %s: %w", name, err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			return "", fmt.Errorf("creating addon %s: %w", name, err)
		}
	}
	return root, nil
}
