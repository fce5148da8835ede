package join_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
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
// approved and signed, and with the certificate it got the node can renew it (what its kubelet
// does before it expires) — for its own name only.
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
	a := join.Agent{Server: env.Config.Host, Token: join.Token{CAHash: join.CAHash(ca.Cert), Secret: secret}, NodeName: "n1", CertDir: dir}
	if err := a.Bootstrap(ctx); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	got, err := join.KubeletCert(dir, filepath.Join(dir, "pki", "kubelet-client-current.pem"))
	if err != nil || got == nil {
		t.Fatalf("kubelet certificate after bootstrap: %v, %v", got, err)
	}
	if why := join.NeedsCert(got, "n1", time.Now()); why != "" {
		t.Fatalf("a fresh certificate needs renewal: %s", why)
	}

	node := kubernetes.NewForConfigOrDie(&rest.Config{Host: env.Config.Host, TLSClientConfig: rest.TLSClientConfig{
		CAFile:   certs.Path(dir, certs.CA+".crt"),
		CertFile: certs.Path(dir, certs.Kubelet+".crt"),
		KeyFile:  certs.Path(dir, certs.Kubelet+".key"),
	}})
	if _, err := createCSR(ctx, node, "n2"); !apierrors.IsForbidden(err) {
		t.Fatalf("node n1 asking for n2's certificate: got %v, want Forbidden", err)
	}
	own, err := createCSR(ctx, node, "n1")
	if err != nil {
		t.Fatalf("the node asking to renew its certificate: %v", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := node.CertificatesV1().CertificateSigningRequests().Get(ctx, own, metav1.GetOptions{})
		if err == nil && len(c.Status.Certificate) > 0 {
			b, _ := pem.Decode(c.Status.Certificate)
			renewed, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if renewed.Subject.CommonName != "system:node:n1" || renewed.CheckSignatureFrom(ca.Cert) != nil {
				t.Fatalf("renewed certificate: %s, signed by the cluster CA: %v", renewed.Subject, renewed.CheckSignatureFrom(ca.Cert))
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the node's renewal request %s was not signed within 60 s: %+v", own, c.Status)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// createCSR asks, as the client cs, for a kubelet client certificate of node name.
func createCSR(ctx context.Context, cs kubernetes.Interface, name string) (string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "system:node:" + name, Organization: []string{"system:nodes"}},
	}, key)
	if err != nil {
		return "", err
	}
	csr, err := cs.CertificatesV1().CertificateSigningRequests().Create(ctx, &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "renew-" + name + "-"},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName: certificatesv1.KubeAPIServerClientKubeletSignerName,
			Usages:     []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	return csr.Name, nil
}
