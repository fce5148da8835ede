package images

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/platforms"
)

// Namespace is the containerd namespace of the kubelet's images and containers.
const Namespace = "k8s.io"

// snapshotter unpacks images for the CRI plugin's default snapshotter.
const snapshotter = "overlayfs"

func connect(socket string) (*client.Client, error) {
	c, err := client.New(socket, client.WithDefaultNamespace(Namespace), client.WithTimeout(10*time.Second))
	if err != nil {
		return nil, fmt.Errorf("connecting to the node's containerd at %s (is the cluster running with --node real?): %w", socket, err)
	}
	return c, nil
}

// Import loads an image archive (docker save, or an OCI image layout tar) into the node's
// containerd and unpacks it, returning the names of the images it held.
func Import(ctx context.Context, socket string, r io.Reader) ([]string, error) {
	c, err := connect(socket)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	ctx, done, err := c.WithLease(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { _ = done(context.WithoutCancel(ctx)) }()
	imgs, err := c.Import(ctx, r, client.WithImportPlatform(platforms.Default()))
	if err != nil {
		return nil, fmt.Errorf("importing image archive: %w", err)
	}
	var names []string
	for _, img := range imgs {
		if err := client.NewImageWithPlatform(c, img, platforms.Default()).Unpack(ctx, snapshotter); err != nil {
			return nil, fmt.Errorf("unpacking %s: %w", img.Name, err)
		}
		names = append(names, img.Name)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("the archive holds no image for %s", platforms.DefaultString())
	}
	return names, nil
}

// Info describes one image of the node.
type Info struct {
	// Name is the image reference.
	Name string `json:"name"`
	// Digest is the digest of the image's manifest or index.
	Digest string `json:"digest"`
	// Size is the compressed size of the image's content for this platform, in bytes.
	Size int64 `json:"size"`
}

// List returns the node's images (tags only; the CRI plugin's digest and ID aliases are
// left out), sorted by name.
func List(ctx context.Context, socket string) ([]Info, error) {
	c, err := connect(socket)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	imgs, err := c.ImageService().List(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	var out []Info
	for _, img := range imgs {
		if isAlias(img.Name) {
			continue
		}
		size, _ := img.Size(ctx, c.ContentStore(), platforms.Default())
		out = append(out, Info{Name: img.Name, Digest: img.Target.Digest.String(), Size: size})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Has reports whether the node has every one of the named images.
func Has(ctx context.Context, socket string, names ...string) bool {
	c, err := connect(socket)
	if err != nil {
		return false
	}
	defer c.Close()
	for _, n := range names {
		if _, err := c.ImageService().Get(ctx, n); err != nil {
			return false
		}
	}
	return true
}

// isAlias is true for the sha256:… and name@sha256:… references the CRI plugin adds.
func isAlias(name string) bool {
	for i := 0; i+7 <= len(name); i++ {
		if name[i:i+7] == "sha256:" {
			return true
		}
	}
	return false
}
