// Package embedded holds the assets that ship inside the velad binary: CRD manifests,
// built-in X-Definitions, addons and the dashboard's page. It only exposes read-only file systems; it imports
// nothing from velad.
package embedded

import (
	"embed"
	"io/fs"
)

//go:embed all:crds all:definitions all:addons all:dashboard
var assets embed.FS

// CRDs returns the CustomResourceDefinition manifests (YAML files) velad installs.
func CRDs() fs.FS { return sub("crds") }

// Definitions returns the built-in X-Definition manifests (YAML files, one or more per file).
func Definitions() fs.FS { return sub("definitions") }

// Addons returns the embedded addon registry: one directory per addon in KubeVela's format.
func Addons() fs.FS { return sub("addons") }

// Dashboard returns the dashboard's static files (index.html), served by pkg/dashboard.
func Dashboard() fs.FS { return sub("dashboard") }

func sub(dir string) fs.FS {
	f, err := fs.Sub(assets, dir)
	if err != nil {
		panic(err) // the directories are compiled in; a failure here is a build bug
	}
	return f
}
