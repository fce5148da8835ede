package cluster

import (
	"os"
	"path/filepath"
	"sort"

	"velad.io/velad/pkg/server/config"
)

// DefaultBaseDir is where clusters' data dirs live: /var/lib/velad as root, ~/.velad otherwise.
// VELAD_HOME overrides it.
func DefaultBaseDir() string {
	if v := os.Getenv("VELAD_HOME"); v != "" {
		return v
	}
	if os.Geteuid() == 0 {
		return "/var/lib/velad"
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "velad")
	}
	return filepath.Join(home, ".velad")
}

// names lists the clusters installed under base (directories with a config.yaml, or links
// to the data dir of a cluster installed with --data-dir elsewhere).
func names(base string) []string {
	entries, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(base, e.Name(), "config.yaml")); err == nil {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// loadAll returns the configs of every installed cluster.
func loadAll(base string) []*config.Config {
	var out []*config.Config
	for _, n := range names(base) {
		if c, err := config.Load(filepath.Join(base, n)); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// AddonRegistryCacheDir holds the clones of git addon registries, shared by the vela CLI,
// `velad install --addons` and the dashboard.
func AddonRegistryCacheDir() string { return filepath.Join(DefaultBaseDir(), "addon-registries") }
