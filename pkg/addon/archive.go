package addon

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing/fstest"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/repo"
	"sigs.k8s.io/yaml"
)

// maxArchiveSize bounds an addon package read from a registry (compressed and expanded).
const maxArchiveSize = 64 << 20

// PackageName is the file name `vela addon package` writes for an addon: "<name>-<version>.tgz".
func PackageName(m Meta) string { return m.Name + "-" + m.Version + ".tgz" }

// Validate checks an addon as enabling would, without a cluster: its definitions, views,
// YAML resources and CUE files must decode (errors name the file and line). A CUE value
// left open because a parameter has no default is not an error: enable takes it.
func Validate(a *Addon) error {
	if _, err := a.renderDefinitions(); err != nil {
		return err
	}
	if _, err := a.renderViews(); err != nil {
		return err
	}
	if err := a.appendYAMLResources(map[string]any{}); err != nil {
		return err
	}
	if _, err := Render(a, nil, nil); err != nil && !strings.Contains(err.Error(), "incomplete value") {
		return err
	}
	return nil
}

// Package validates the addon in directory dir and writes it to outDir as
// <name>-<version>.tgz, the layout of KubeVela's `vela addon package`: a Helm chart package
// (a gzipped tar whose entries sit under a top directory named after the addon) with a
// Chart.yaml made from metadata.yaml (a library chart, so Helm never installs it) unless the
// directory has one, so `helm repo index` and chart repositories accept it.
// It returns the path written.
func Package(dir, outDir string) (string, error) {
	a, err := LoadDir(dir)
	if err != nil {
		return "", err
	}
	if err := Validate(a); err != nil {
		return "", err
	}
	abs, _ := filepath.Abs(dir)
	buf := &bytes.Buffer{}
	zw := gzip.NewWriter(buf)
	tw := tar.NewWriter(zw)
	add := func(rel string, data []byte) error {
		hdr := &tar.Header{Name: path.Join(a.Meta.Name, rel), Mode: 0o644, Size: int64(len(data)),
			ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if _, serr := os.Stat(filepath.Join(abs, chartutil.ChartfileName)); serr != nil {
		chartfile, err := yaml.Marshal(chartMetadata(a.Meta))
		if err == nil {
			err = add(chartutil.ChartfileName, chartfile)
		}
		if err != nil {
			return "", fmt.Errorf("packaging addon %s: %w", abs, err)
		}
	}
	err = filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && p != abs {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(abs, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return add(filepath.ToSlash(rel), data)
	})
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return "", fmt.Errorf("packaging addon %s: %w", abs, err)
	}
	if outDir == "" {
		outDir = "."
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(outDir, PackageName(a.Meta))
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("writing addon package: %w", err)
	}
	return out, nil
}

// chartMetadata is the Chart.yaml KubeVela writes into an addon package.
func chartMetadata(m Meta) *chart.Metadata {
	return &chart.Metadata{APIVersion: chart.APIVersionV2, Name: m.Name, Version: m.Version, AppVersion: m.Version,
		Description: m.Description, Type: "library", Icon: m.Icon, Home: m.URL, Keywords: m.Tags}
}

// LoadArchive loads an addon package (.tgz as Package writes it); registry and source are
// recorded as Load records them. The addon is the archive's single top directory.
func LoadArchive(data []byte, registry, source string) (*Addon, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%s: not a gzipped addon package: %w", source, err)
	}
	tr := tar.NewReader(io.LimitReader(zr, maxArchiveSize))
	files := fstest.MapFS{}
	top := ""
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: reading addon package: %w", source, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "./"))
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return nil, fmt.Errorf("%s: package entry %q leaves the addon directory", source, hdr.Name)
		}
		first, _, _ := strings.Cut(name, "/")
		if top == "" {
			top = first
		} else if first != top {
			return nil, fmt.Errorf("%s: package holds %s and %s: an addon package has one top directory", source, top, first)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: reading %s: %w", source, name, err)
		}
		files[name] = &fstest.MapFile{Data: body, Mode: 0o644}
	}
	if top == "" {
		return nil, fmt.Errorf("%s: the addon package is empty", source)
	}
	return Load(files, top, registry, source)
}

// IndexFile is the catalog file of a helm-type registry.
const IndexFile = "index.yaml"

// WriteIndex writes dir/index.yaml, a Helm repository index of every addon package (*.tgz)
// in dir with relative URLs (as `helm repo index` writes it): the directory is then a
// helm-type registry for any static HTTP server. A package that does not load as an addon
// is an error naming it.
func WriteIndex(dir string) error {
	paths, err := filepath.Glob(filepath.Join(dir, "*.tgz"))
	if err != nil {
		return err
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if _, err := LoadArchive(data, "", p); err != nil {
			return err
		}
	}
	idx, err := repo.IndexDirectory(dir, "")
	if err != nil {
		return fmt.Errorf("indexing %s: %w", dir, err)
	}
	idx.SortEntries()
	return idx.WriteFile(filepath.Join(dir, IndexFile), 0o644)
}
