package join_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"velad.io/velad/pkg/join"
	"velad.io/velad/pkg/server/certs"
	"velad.io/velad/pkg/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

// TestJoinBootstrapAndRenewal runs the agent side of `velad join` against a real control plane:
// the token's CA hash pins the server, the bootstrap token's CertificateSigningRequest is
// approved and signed and seeds the kubelet's certificate store; with that certificate the
// node can renew it (what its kubelet does before it expires) for its own name only; once the
// kubelet rotated it, velad authenticates with the rotated one even after join's expired.
func TestJoinBootstrapAndRenewal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := kubernetes.NewForConfigOrDie(env.Config)
	const secret = "join-integration-secret"
	if err := join.EnsureServer(ctx, admin, secret); err != nil {
		t.Fatal(err)
	}
	if err := join.EnsureServer(ctx, admin, secret); err != nil {
		t.Fatalf("EnsureServer is run on every start: a second run failed: %v", err)
	}
	ca, err := certs.Load(env.Cluster.CertDir(), certs.CA)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pki := filepath.Join(dir, "pki")
	a := join.Agent{Server: env.Config.Host, Token: join.Token{CAHash: join.CAHash(ca.Cert), Secret: secret}, NodeName: "n1", CertDir: dir}
	store, err := a.KubeletCredentials(ctx, pki, time.Now())
	if err != nil {
		t.Fatalf("first start (bootstrap): %v", err)
	}
	if fi, err := os.Lstat(store); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the kubelet's store %s is not seeded in its own layout (a link): %v", store, err)
	}
	if got, err := join.KubeletCert(dir, store); err != nil || got == nil || got.Subject.CommonName != "system:node:n1" {
		t.Fatalf("kubelet certificate after bootstrap: %v, %v", got, err)
	}
	csrs := func() int {
		l, err := admin.CertificatesV1().CertificateSigningRequests().List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return len(l.Items)
	}
	if n := csrs(); n != 1 {
		t.Fatalf("%d CSRs after the bootstrap, want velad join's only", n)
	}

	// The kubelet renews with a CSR authenticated by its current certificate.
	node := nodeClient(store)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := join.RequestCert(join.Agent{Server: a.Server, NodeName: "n2"}, ctx, node, key); !apierrors.IsForbidden(err) {
		t.Fatalf("node n1 asking for n2's certificate: got %v, want Forbidden", err)
	}
	renewed, err := join.RequestCert(a, ctx, node, key)
	if err != nil {
		t.Fatalf("the node renewing its certificate: %v", err)
	}
	if c := parseCert(t, renewed); c.Subject.CommonName != "system:node:n1" || c.CheckSignatureFrom(ca.Cert) != nil {
		t.Fatalf("renewed certificate: %s, signed by the cluster CA: %v", c.Subject, c.CheckSignatureFrom(ca.Cert))
	}

	// As the kubelet does: a new file in the store, the link moved to it. Then velad join's
	// certificate expires: velad goes on with the rotated one, asking for nothing.
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	next := filepath.Join(pki, "kubelet-client-2099-01-01-00-00-00.pem")
	if err := os.WriteFile(next, append(renewed, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(store); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(next, store); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certs.Path(dir, certs.Kubelet+".crt"), join.NodeCert(t, "system:node:n1", time.Now().Add(-2*365*24*time.Hour), time.Now().Add(-365*24*time.Hour)), 0o600); err != nil {
		t.Fatal(err)
	}
	if again, err := a.KubeletCredentials(ctx, pki, time.Now()); err != nil || again != store {
		t.Fatalf("restart after rotation: %q, %v", again, err)
	}
	if n := csrs(); n != 2 {
		t.Fatalf("%d CSRs after a restart with a rotated certificate, want 2 (join's, the renewal)", n)
	}
	if _, err := nodeClient(store).CoreV1().Nodes().Get(ctx, "n1", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("velad's client of the agent (the rotated certificate) reading its Node: %v, want NotFound (authenticated)", err)
	}
}

// nodeClient authenticates as a kubelet with its certificate store file (certificate and key).
func nodeClient(store string) kubernetes.Interface {
	return kubernetes.NewForConfigOrDie(&rest.Config{Host: env.Config.Host, TLSClientConfig: rest.TLSClientConfig{
		CAFile: certs.Path(env.Cluster.CertDir(), certs.CA+".crt"), CertFile: store, KeyFile: store,
	}})
}

func parseCert(t *testing.T, p []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(p)
	if b == nil {
		t.Fatal("no PEM certificate")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
