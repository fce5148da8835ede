// Package version reports the versions velad is built from. Version is set at link time.
package version

import "runtime/debug"

// Version is velad's own version, set with -ldflags "-X velad.io/velad/pkg/version.Version=…".
var Version = "dev"

// OAMAPIVersion is the OAM API velad serves.
const OAMAPIVersion = "core.oam.dev/v1beta1"

// Info is what `velad version` prints.
type Info struct {
	// Velad is velad's version.
	Velad string `json:"velad"`
	// Kubernetes is the version of the embedded Kubernetes components.
	Kubernetes string `json:"kubernetes"`
	// OAM is the OAM API version.
	OAM string `json:"oam"`
	// Go is the Go toolchain velad was built with.
	Go string `json:"go"`
}

// Get returns the version info of this binary.
func Get() Info {
	info := Info{Velad: Version, Kubernetes: "unknown", OAM: OAMAPIVersion}
	if bi, ok := debug.ReadBuildInfo(); ok {
		info.Go = bi.GoVersion
		for _, dep := range bi.Deps {
			if dep.Path == "k8s.io/kubernetes" {
				info.Kubernetes = dep.Version
			}
		}
	}
	return info
}
