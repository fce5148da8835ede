package bundled

import (
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fakePayload holds a shell script per binary that prints its name and the version.
func fakePayload(t *testing.T, version string) fstest.MapFS {
	fsys := fstest.MapFS{versionsFile: {Data: []byte(version + "\n")}}
	for _, b := range Binaries {
		fsys[b+".gz"] = &fstest.MapFile{Data: gz(t, "#!/bin/sh\necho "+b+" "+version+"\n")}
	}
	return fsys
}

func TestExtractWritesRunnableBinariesUnderTheirChecksum(t *testing.T) {
	parent := t.TempDir()
	v1 := fakePayload(t, "v1")
	dir, err := extract(v1, parent)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range Binaries {
		out, err := exec.Command(filepath.Join(dir, b)).Output()
		if err != nil || strings.TrimSpace(string(out)) != b+" v1" {
			t.Fatalf("%s: %q, %v", b, out, err)
		}
	}
	// Extracting the same payload again reuses the directory as it is.
	marker := filepath.Join(dir, "marker")
	if err := os.WriteFile(marker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := extract(v1, parent)
	if err != nil || again != dir {
		t.Fatalf("second extract: %s, %v; want %s", again, err, dir)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Fatal("the second extract rewrote the directory")
	}
	// Another build (an upgrade) gets its own directory; the old one stays for old containers.
	dir2, err := extract(fakePayload(t, "v2"), parent)
	if err != nil || dir2 == dir {
		t.Fatalf("upgrade extract: %s, %v", dir2, err)
	}
	if out, _ := exec.Command(filepath.Join(dir2, "runc")).Output(); strings.TrimSpace(string(out)) != "runc v2" {
		t.Fatalf("upgraded runc says %q", out)
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 2 {
		t.Fatalf("parent holds %d entries, want the 2 payload directories (no temporary left)", len(entries))
	}
}

func TestIncompletePayloadIsNotAvailable(t *testing.T) {
	fsys := fakePayload(t, "v1")
	delete(fsys, "portmap.gz")
	if complete(fsys) {
		t.Fatal("a payload without portmap counts as complete")
	}
	if !complete(fakePayload(t, "v1")) {
		t.Fatal("a full payload counts as incomplete")
	}
}

// TestCarriedRuncRuns extracts what this build carries, when it carries anything (make build).
func TestCarriedRuncRuns(t *testing.T) {
	if !Available() {
		t.Log("this test binary carries no runc (run hack/build-runtime.sh first to check the real payload)")
		return
	}
	dir, err := Extract(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(dir, "runc"), "--version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "runc version") {
		t.Fatalf("carried runc --version: %v\n%s", err, out)
	}
	if !strings.Contains(Version(), "runc") {
		t.Fatalf("Version() = %q", Version())
	}
}
