// Package bundled holds runc, containerd's runc shim and the CNI plugins that
// hack/build-runtime.sh compiles into
// velad, and extracts them into a node's data directory, so that a real node needs no
// system package for them.
package bundled

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

//go:embed payload
var embedded embed.FS

// Binaries are the programs a complete payload holds: runc, the runc shim and the CNI plugins.
var Binaries = []string{"runc", Shim, "bridge", "host-local", "portmap", "loopback"}

// Shim is the carried runc shim's binary name (containerd's io.containerd.runc.v2 runtime).
const Shim = "containerd-shim-runc-v2"

// versionsFile names the payload's stamp: which runc and plugins versions it holds.
const versionsFile = "VERSIONS"

// payload is the embedded directory, or nil when this velad was built without the binaries.
var payload = sync.OnceValue(func() fs.FS {
	sub, err := fs.Sub(embedded, "payload")
	if err != nil || !complete(sub) {
		return nil
	}
	return sub
})

// Available reports whether this velad binary carries runc and the CNI plugins.
func Available() bool { return payload() != nil }

// Version describes the carried binaries ("runc v1.5.2 cni-plugins v1.9.1 linux/amd64"), or
// "" when there are none.
func Version() string {
	if payload() == nil {
		return ""
	}
	data, _ := fs.ReadFile(payload(), versionsFile)
	return strings.TrimSpace(string(data))
}

// Extract writes the carried binaries into parent/<checksum of the payload> and returns that
// directory; one already there is reused as it is, and a velad carrying other builds (an
// upgrade) gets a directory of its own. Earlier directories are left alone: containers started
// before an upgrade still name their runc. It fails when this velad carries none.
func Extract(parent string) (string, error) {
	if payload() == nil {
		return "", errors.New("this velad binary carries no runc and CNI plugins (built without hack/build-runtime.sh)")
	}
	return extract(payload(), parent)
}

func complete(fsys fs.FS) bool {
	for _, name := range append([]string{versionsFile}, gzNames()...) {
		if _, err := fs.Stat(fsys, name); err != nil {
			return false
		}
	}
	return true
}

func gzNames() []string {
	out := make([]string, len(Binaries))
	for i, b := range Binaries {
		out[i] = b + ".gz"
	}
	return out
}

// checksum identifies a payload by its stamp and compressed binaries.
func checksum(fsys fs.FS) (string, error) {
	h := sha256.New()
	for _, name := range append([]string{versionsFile}, gzNames()...) {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", name, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// extract unpacks fsys's binaries into a temporary directory beside the target and renames it
// into place, so that a directory under its final name is always complete.
func extract(fsys fs.FS, parent string) (string, error) {
	sum, err := checksum(fsys)
	if err != nil {
		return "", fmt.Errorf("reading the carried runtime binaries: %w", err)
	}
	dir := filepath.Join(parent, sum)
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return dir, nil
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, ".extract-")
	if err != nil {
		return "", fmt.Errorf("extracting runc and the CNI plugins into %s: %w", parent, err)
	}
	defer os.RemoveAll(tmp)
	for _, b := range Binaries {
		if err := unzipTo(fsys, b+".gz", filepath.Join(tmp, b)); err != nil {
			return "", fmt.Errorf("extracting %s into %s: %w", b, parent, err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if st, serr := os.Stat(dir); serr == nil && st.IsDir() { // another velad was first
			return dir, nil
		}
		return "", fmt.Errorf("extracting runc and the CNI plugins into %s: %w", dir, err)
	}
	return dir, nil
}

func unzipTo(fsys fs.FS, name, dst string) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, zr); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
