package join

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"velad.io/velad/pkg/server/certs"
)

func nodeCert(t *testing.T, cn string, from, to time.Time) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, NotBefore: from, NotAfter: to}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

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
	}{
		{"none", nil, "none yet"},
		{"fresh", parse(nodeCert(t, "system:node:n1", now.Add(-time.Hour), now.Add(year))), ""},
		{"at 85 % the kubelet renews it", parse(nodeCert(t, "system:node:n1", now.Add(-year*85/100), now.Add(year*15/100))), ""},
		{"last tenth", parse(nodeCert(t, "system:node:n1", now.Add(-year*95/100), now.Add(year*5/100))), "expires at"},
		{"expired", parse(nodeCert(t, "system:node:n1", now.Add(-2*year), now.Add(-year))), "expires at"},
		{"renamed", parse(nodeCert(t, "system:node:old", now.Add(-time.Hour), now.Add(year))), "system:node:old's, the node is now n1"},
	} {
		got := NeedsCert(tc.cert, "n1", now)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: NeedsCert = %q, want %q", tc.name, got, tc.want)
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
	if err := os.WriteFile(filepath.Join(dir, certs.Kubelet+".crt"), nodeCert(t, "system:node:joined", now, now.Add(time.Hour)), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := KubeletCert(dir, store); err != nil || c.Subject.CommonName != "system:node:joined" {
		t.Fatalf("velad join's certificate: got %v, %v", c, err)
	}
	// The kubelet's store holds the key first, then the certificate.
	rotated := append(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte("not read")}), nodeCert(t, "system:node:rotated", now, now.Add(time.Hour))...)
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
