package appfile

import (
	"os"
	"path/filepath"
	"testing"
)

// conformanceRoot finds ../shared/conformance/kubevela relative to the
// directory holding go.mod.
func conformanceRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
	root := filepath.Join(dir, "..", "shared", "conformance", "kubevela")
	if _, err := os.Stat(root); err != nil {
		t.Fatalf("conformance examples missing: expected KubeVela's examples at %s (see the repository README): %v", root, err)
	}
	return root
}
