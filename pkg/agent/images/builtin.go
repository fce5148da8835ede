package images

import (
	"archive/tar"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Names of the built-in images.
const (
	// Pause is the sandbox image of every pod.
	Pause = "velad.local/pause:v1"
	// Hello is the demo HTTP server image (port 8080).
	Hello = "velad.local/hello:v1"
)

// builtinImages maps each built-in image to its velad sub-command.
var builtinImages = []struct{ name, command string }{{Pause, "pause"}, {Hello, "hello"}}

// libDirs are searched for the shared libraries velad links.
var libDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}

// file is one regular file of the layer: its path in the image and on the host.
type file struct{ image, host string }

// layerFiles lists velad and, when it is dynamically linked, its loader and libraries.
func layerFiles(velad string) ([]file, error) {
	files := []file{{"velad", velad}}
	f, err := elf.Open(velad)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", velad, err)
	}
	defer f.Close()
	interp := ""
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			b, err := io.ReadAll(p.Open())
			if err != nil {
				return nil, err
			}
			interp = strings.TrimRight(string(b), "\x00")
		}
	}
	if interp == "" {
		return files, nil // static
	}
	files = append(files, file{strings.TrimPrefix(interp, "/"), interp})
	seen := map[string]bool{}
	queue, err := f.ImportedLibraries()
	if err != nil {
		return nil, err
	}
	for len(queue) > 0 {
		lib := queue[0]
		queue = queue[1:]
		if seen[lib] {
			continue
		}
		seen[lib] = true
		host := findLib(lib)
		if host == "" {
			return nil, fmt.Errorf("shared library %s of %s not found in %s", lib, velad, strings.Join(libDirs, ", "))
		}
		files = append(files, file{strings.TrimPrefix(host, "/"), host})
		if lf, err := elf.Open(host); err == nil {
			more, _ := lf.ImportedLibraries()
			lf.Close()
			queue = append(queue, more...)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].image < files[j].image })
	return files, nil
}

func findLib(name string) string {
	for _, d := range libDirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// epoch is the fixed time of every layer entry, so that a binary always gives one digest.
var epoch = time.Unix(0, 0)

// writeLayer writes the layer tar of files to w.
func writeLayer(w io.Writer, files []file) error {
	tw := tar.NewWriter(w)
	dirs := map[string]bool{}
	for _, f := range append(files, file{"tmp/", ""}) {
		parts := strings.Split(strings.TrimSuffix(f.image, "/"), "/")
		for i := 1; i < len(parts)+boolInt(f.host == ""); i++ {
			d := strings.Join(parts[:i], "/") + "/"
			if dirs[d] {
				continue
			}
			dirs[d] = true
			mode := int64(0o755)
			if d == "tmp/" {
				mode = 0o1777
			}
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: mode, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
				return err
			}
		}
		if f.host == "" {
			continue
		}
		if err := copyFile(tw, f); err != nil {
			return err
		}
	}
	return tw.Close()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func copyFile(tw *tar.Writer, f file) error {
	src, err := os.Open(f.host) // follows symlinks: the image gets the file itself
	if err != nil {
		return err
	}
	defer src.Close()
	st, err := src.Stat()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: f.image, Mode: 0o755, Size: st.Size(), ModTime: epoch, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	// The file is the running velad binary (or a library it maps): a plain sequential read
	// would make the page cache hold it in folios of up to 2 MiB, which the kernel then maps
	// whole into every velad process that touches a byte of one, and the long-lived ones
	// could no longer release their start-up pages (pkg/exepages). Read without readahead,
	// in large requests: the cache keeps what it reads in 4 KiB pages.
	_ = unix.Fadvise(int(src.Fd()), 0, 0, unix.FADV_RANDOM)
	n, err := io.CopyBuffer(tw, struct{ io.Reader }{src}, make([]byte, 1<<20)) // not os.File.WriteTo: its 32 KiB reads
	if err == nil && n != st.Size() {
		err = fmt.Errorf("%s changed while it was read", f.host)
	}
	return err
}

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

func blobDesc(mediaType string, data []byte) (descriptor, []byte) {
	sum := sha256.Sum256(data)
	return descriptor{MediaType: mediaType, Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(data))}, data
}

type countingHash struct {
	h hash.Hash
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) { c.n += int64(len(p)); return c.h.Write(p) }

// WriteBuiltin writes an OCI image-layout archive holding the built-in images, made from
// the velad binary at path velad, to w. It reads the binary twice: once for the layer's
// digest, once to write it.
func WriteBuiltin(w io.Writer, velad string) error {
	files, err := layerFiles(velad)
	if err != nil {
		return err
	}
	ch := &countingHash{h: sha256.New()}
	if err := writeLayer(ch, files); err != nil {
		return err
	}
	layer := descriptor{MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: "sha256:" + hex.EncodeToString(ch.h.Sum(nil)), Size: ch.n}
	tw := tar.NewWriter(w)
	writeBlob := func(name string, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: epoch}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := writeBlob("oci-layout", []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
		return err
	}
	var manifests []descriptor
	for _, img := range builtinImages {
		cfg, _ := json.Marshal(map[string]any{
			"architecture": goArch(),
			"os":           "linux",
			"config": map[string]any{
				"Entrypoint":   []string{"/velad", img.command},
				"Env":          []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LD_LIBRARY_PATH=" + strings.Join(libDirs, ":")},
				"ExposedPorts": exposed(img.command),
				"Labels":       map[string]string{"io.velad.builtin": "true"},
			},
			"rootfs": map[string]any{"type": "layers", "diff_ids": []string{layer.Digest}},
		})
		cfgDesc, cfgData := blobDesc("application/vnd.oci.image.config.v1+json", cfg)
		man, _ := json.Marshal(map[string]any{
			"schemaVersion": 2,
			"mediaType":     "application/vnd.oci.image.manifest.v1+json",
			"config":        cfgDesc,
			"layers":        []descriptor{layer},
		})
		manDesc, manData := blobDesc("application/vnd.oci.image.manifest.v1+json", man)
		manDesc.Annotations = map[string]string{
			"io.containerd.image.name":          img.name,
			"org.opencontainers.image.ref.name": img.name[strings.LastIndex(img.name, ":")+1:],
		}
		for _, b := range []struct {
			d    descriptor
			data []byte
		}{{cfgDesc, cfgData}, {manDesc, manData}} {
			if err := writeBlob("blobs/sha256/"+strings.TrimPrefix(b.d.Digest, "sha256:"), b.data); err != nil {
				return err
			}
		}
		manifests = append(manifests, manDesc)
	}
	index, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests})
	if err := writeBlob("index.json", index); err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "blobs/sha256/" + strings.TrimPrefix(layer.Digest, "sha256:"), Mode: 0o644, Size: layer.Size, ModTime: epoch}); err != nil {
		return err
	}
	if err := writeLayer(tw, files); err != nil {
		return err
	}
	return tw.Close()
}

func exposed(command string) map[string]struct{} {
	if command == "hello" {
		return map[string]struct{}{strconv.Itoa(HelloPort) + "/tcp": {}}
	}
	return nil
}

// HelloPort is the port the hello image listens on.
const HelloPort = 8080
