package binary

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestInstalledCopyIsTheSameBytesElsewhereAndCleansUp(t *testing.T) {
	src := filepath.Join(t.TempDir(), "velad")
	want := []byte("#!/bin/sh\necho velad\n")
	if err := os.WriteFile(src, want, 0o755); err != nil {
		t.Fatal(err)
	}
	dst, cleanup, err := InstalledCopy(src)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(dst)
	if err != nil || !bytes.Equal(got, want) || dst == src {
		t.Fatalf("copy %s: %q, %v", dst, got, err)
	}
	if st, err := os.Stat(dst); err != nil || st.Mode().Perm()&0o100 == 0 {
		t.Fatalf("the copy must stay executable: %v %v", st.Mode(), err)
	}
	cleanup()
	if _, err := os.Stat(filepath.Dir(dst)); !os.IsNotExist(err) {
		t.Fatalf("cleanup left %s: %v", filepath.Dir(dst), err)
	}
	if _, _, err := InstalledCopy(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("copying a missing binary must fail")
	}
}
