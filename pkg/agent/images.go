package agent

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/klog/v2"

	"velad.io/velad/pkg/agent/images"
)

// ImportBuiltinImages imports the images velad generates from its own binary (pause,
// hello) into containerd, unless the node already has them from this same binary.
func ImportBuiltinImages(ctx context.Context, p Paths, velad string) error {
	st, err := os.Stat(velad)
	if err != nil {
		return err
	}
	key := fmt.Sprintf("%s %d %d", velad, st.Size(), st.ModTime().UnixNano())
	marker := filepath.Join(p.Dir, "builtin-images")
	if b, err := os.ReadFile(marker); err == nil && strings.TrimSpace(string(b)) == key && images.Has(ctx, p.ContainerdSocket(), images.Pause, images.Hello) {
		return nil
	}
	start := time.Now()
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(images.WriteBuiltin(pw, velad)) }()
	names, err := images.Import(ctx, p.ContainerdSocket(), pr)
	_ = pr.Close()
	if err != nil {
		return fmt.Errorf("importing velad's built-in images: %w", err)
	}
	klog.InfoS("imported built-in images", "images", names, "took", time.Since(start).Round(time.Millisecond))
	return os.WriteFile(marker, []byte(key+"\n"), 0o600)
}
