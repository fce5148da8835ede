// Package binary gives the benchmarks the velad binary as a user has it: a copy, as install.sh
// installs it. A binary the linker wrote seconds before keeps its page cache in large folios
// that stay resident (~60–90 MB more RSS per server, docs/benchmarks.md, session 8), which no
// installed binary has.
package binary

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// InstalledCopy copies bin into a new temporary directory; cleanup removes it.
func InstalledCopy(bin string) (path string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "velad-bench-bin-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	path = filepath.Join(dir, "velad")
	if out, err := exec.Command("cp", bin, path).CombinedOutput(); err != nil {
		cleanup()
		return "", nil, fmt.Errorf("cp %s: %v: %s", bin, err, out)
	}
	return path, cleanup, nil
}
