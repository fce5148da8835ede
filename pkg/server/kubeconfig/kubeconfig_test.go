package kubeconfig

import (
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/tools/clientcmd"

	"velad.io/velad/pkg/server/certs"
)

func TestWriteProducesAUsableKubeconfig(t *testing.T) {
	dir := t.TempDir()
	if err := certs.Ensure(dir, certs.SANs{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "kc", "admin.yaml")
	if err := Write(path, "https://127.0.0.1:6443", "velad-default", dir, certs.Admin); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("kubeconfig mode = %v err = %v, want 0600", st.Mode(), err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "https://127.0.0.1:6443" || len(cfg.CAData) == 0 || len(cfg.CertData) == 0 || len(cfg.KeyData) == 0 {
		t.Fatalf("kubeconfig incomplete: host=%q ca=%d cert=%d key=%d", cfg.Host, len(cfg.CAData), len(cfg.CertData), len(cfg.KeyData))
	}
}
