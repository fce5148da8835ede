package join

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"velad.io/velad/pkg/server/certs"
)

func TestNeedsCert(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	parse := func(b []byte) *x509.Certificate {
		blk, _ := pem.Decode(b)
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	year := 365 * 24 * time.Hour
	for _, tc := range []struct {
		name string
		cert *x509.Certificate
		want string // substring of the reason; "" = no new certificate
		must bool
	}{
		{"none", nil, "none yet", true},
		{"fresh", parse(NodeCert(t, "system:node:n1", now.Add(-time.Hour), now.Add(year))), "", false},
		{"at 85 % the kubelet renews it", parse(NodeCert(t, "system:node:n1", now.Add(-year*85/100), now.Add(year*15/100))), "", false},
		{"last tenth: should, still usable", parse(NodeCert(t, "system:node:n1", now.Add(-year*95/100), now.Add(year*5/100))), "expires at", false},
		{"expired", parse(NodeCert(t, "system:node:n1", now.Add(-2*year), now.Add(-year))), "expired at", true},
		{"renamed", parse(NodeCert(t, "system:node:old", now.Add(-time.Hour), now.Add(year))), "system:node:old's, the node is now n1", true},
	} {
		got, must := NeedsCert(tc.cert, "n1", now)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) || must != tc.must {
			t.Errorf("%s: NeedsCert = %q, %v; want %q, %v", tc.name, got, must, tc.want, tc.must)
		}
	}
}

func TestKubeletCertPrefersTheRotatedOne(t *testing.T) {
	dir := t.TempDir()
	pki := filepath.Join(dir, "pki")
	store := filepath.Join(pki, "kubelet-client-current.pem")
	if c, err := KubeletCert(dir, store); c != nil || err != nil {
		t.Fatalf("no credentials: got %v, %v", c, err)
	}
	now := time.Now()
	if err := os.WriteFile(filepath.Join(dir, certs.Kubelet+".crt"), NodeCert(t, "system:node:joined", now, now.Add(time.Hour)), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := KubeletCert(dir, store); err != nil || c.Subject.CommonName != "system:node:joined" {
		t.Fatalf("velad join's certificate: got %v, %v", c, err)
	}
	// The kubelet's store holds the certificate and the key in one file (either order is read).
	rotated := append(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte("not read")}), NodeCert(t, "system:node:rotated", now, now.Add(time.Hour))...)
	if err := os.MkdirAll(pki, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"kubelet-client-2026-11-23-12-00-00.pem", "kubelet-client-current.pem"} {
		if err := os.WriteFile(filepath.Join(pki, f), rotated, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := KubeletCert(dir, store); err != nil || c.Subject.CommonName != "system:node:rotated" {
		t.Fatalf("rotated certificate: got %v, %v", c, err)
	}
	if err := os.WriteFile(filepath.Join(pki, "kubelet.crt"), []byte("the serving cert stays"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ForgetRotated(pki); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(pki, "*"))
	if len(left) != 1 || filepath.Base(left[0]) != "kubelet.crt" {
		t.Fatalf("after ForgetRotated: %v", left)
	}
	if err := os.WriteFile(store, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := KubeletCert(dir, store); err == nil || !strings.Contains(err.Error(), "no certificate") {
		t.Fatalf("garbage store: err = %v", err)
	}
}
