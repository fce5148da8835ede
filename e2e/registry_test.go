package e2e

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"velad.io/velad/pkg/agent/images"
)

// serveRegistry serves, read-only over plain HTTP on 127.0.0.1, velad's built-in hello image
// under the repository name repo (any tag): an offline stand-in for a registry mirror, so
// that a real node pulls an image a demo names (oamdev/hello-world) without a network. It
// returns the registry's host:port.
func serveRegistry(t *testing.T, repo string) string {
	t.Helper()
	dir := t.TempDir()
	archive := filepath.Join(dir, "images.tar")
	f, err := os.Create(archive)
	if err != nil {
		t.Fatal(err)
	}
	if err := images.WriteBuiltin(f, veladBin); err != nil {
		t.Fatal(err)
	}
	f.Close()
	blobs := filepath.Join(dir, "layout")
	if err := untar(archive, blobs); err != nil {
		t.Fatal(err)
	}
	os.Remove(archive)
	var index struct {
		Manifests []struct {
			MediaType   string            `json:"mediaType"`
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	data, err := os.ReadFile(filepath.Join(blobs, "index.json"))
	if err != nil || json.Unmarshal(data, &index) != nil {
		t.Fatalf("reading the built-in images' index: %v", err)
	}
	manifest, mediaType := "", ""
	for _, m := range index.Manifests {
		if m.Annotations["io.containerd.image.name"] == images.Hello {
			manifest, mediaType = m.Digest, m.MediaType
		}
	}
	if manifest == "" {
		t.Fatalf("no %s in the built-in images", images.Hello)
	}
	blobPath := func(digest string) string {
		return filepath.Join(blobs, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v2/", func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/v2/"+repo+"/")
		switch {
		case r.URL.Path == "/v2/":
			w.WriteHeader(http.StatusOK)
		case ok && strings.HasPrefix(rest, "manifests/"):
			w.Header().Set("Content-Type", mediaType)
			w.Header().Set("Docker-Content-Digest", manifest)
			http.ServeFile(w, r, blobPath(manifest))
		case ok && strings.HasPrefix(rest, "blobs/sha256:"):
			digest := strings.TrimPrefix(rest, "blobs/")
			w.Header().Set("Docker-Content-Digest", digest)
			w.Header().Set("Content-Type", "application/octet-stream")
			http.ServeFile(w, r, blobPath(digest))
		default:
			http.Error(w, `{"errors":[{"code":"NAME_UNKNOWN"}]}`, http.StatusNotFound)
		}
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// untar extracts the regular files of a tar archive into dir.
func untar(archive, dir string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		path := filepath.Join(dir, filepath.Clean("/"+h.Name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		out, err := os.Create(path)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, tr)
		out.Close()
		if err != nil {
			return err
		}
	}
}
