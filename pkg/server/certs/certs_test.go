package certs

import (
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
)

func TestEnsureCreatesVerifiablePKI(t *testing.T) {
	dir := t.TempDir()
	sans := SANs{DNSNames: []string{"localhost", "myhost"}, IPs: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.1.2.3")}}
	if err := Ensure(dir, sans); err != nil {
		t.Fatal(err)
	}
	ca, err := Load(dir, CA)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	serving, err := Load(dir, Serving)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"localhost", "myhost", "127.0.0.1", "10.1.2.3"} {
		if _, err := serving.Cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: name, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
			t.Errorf("serving cert not valid for %s: %v", name, err)
		}
	}
	admin, err := Load(dir, Admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("admin cert not a client cert of the CA: %v", err)
	}
	if got := admin.Cert.Subject.Organization; len(got) != 1 || got[0] != "system:masters" {
		t.Errorf("admin organization = %v", got)
	}
	st, err := os.Stat(filepath.Join(dir, "admin.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("admin.key mode = %v, %v; want 0600", st.Mode(), err)
	}
}

func TestEnsureKeepsIdentityAndRefreshesSANs(t *testing.T) {
	dir := t.TempDir()
	if err := Ensure(dir, SANs{DNSNames: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	ca1, _ := Load(dir, CA)
	sa1, _ := os.ReadFile(filepath.Join(dir, "service-account.key"))
	if err := Ensure(dir, SANs{DNSNames: []string{"a", "b"}}); err != nil {
		t.Fatal(err)
	}
	ca2, _ := Load(dir, CA)
	sa2, _ := os.ReadFile(filepath.Join(dir, "service-account.key"))
	if !ca1.Cert.Equal(ca2.Cert) || string(sa1) != string(sa2) {
		t.Fatal("second Ensure replaced the CA or the service-account key")
	}
	serving, _ := Load(dir, Serving)
	if len(serving.Cert.DNSNames) != 2 {
		t.Fatalf("serving cert SANs = %v, want the new set", serving.Cert.DNSNames)
	}
}

func TestLoadReportsCorruptFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ca.crt"), []byte("garbage"), 0o600)
	os.WriteFile(filepath.Join(dir, "ca.key"), []byte("garbage"), 0o600)
	if err := Ensure(dir, SANs{}); err == nil {
		t.Fatal("Ensure accepted a corrupt CA")
	}
}
