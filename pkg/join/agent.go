package join

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"velad.io/velad/pkg/server/certs"
)

// certWait bounds how long an agent waits for the cluster to sign its kubelet certificate.
const certWait = 60 * time.Second

// Agent is one agent node's side of joining.
type Agent struct {
	// Server is the API server's URL, https://<host>:<port>.
	Server string
	// Token is the parsed join token.
	Token Token
	// NodeName is the node's name: the kubelet's certificate is for system:node:<NodeName>.
	NodeName string
	// CertDir receives ca.crt and the kubelet's kubelet.crt and kubelet.key.
	CertDir string
}

// ValidateServer checks that s is an https URL with a host, as --server takes it.
func ValidateServer(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("--server %q is not the cluster's API server URL: use https://<server-ip>:<port> (the port `velad status` shows on the server, 6443 by default)", s)
	}
	return nil
}

// Bootstrap trusts the server by the token's CA hash, writes the CA, and has the cluster sign
// a client certificate for the node's kubelet (a CertificateSigningRequest the bootstrap token
// creates and the controller manager approves and signs).
func (a Agent) Bootstrap(ctx context.Context) error {
	ca, err := FetchCA(ctx, a.Server, a.Token)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(a.CertDir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", a.CertDir, err)
	}
	if err := certs.WriteCert(a.CertDir, certs.CA, ca); err != nil {
		return fmt.Errorf("writing the cluster CA: %w", err)
	}
	caPEM := (&certs.KeyPair{Cert: ca}).CertPEM()
	cs, err := kubernetes.NewForConfig(a.BootstrapConfig(caPEM))
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	certPEM, err := a.requestCert(ctx, cs, key)
	if err != nil {
		return err
	}
	b, _ := pem.Decode(certPEM)
	if b == nil {
		return fmt.Errorf("the server %s signed the kubelet's certificate, but sent no PEM certificate", a.Server)
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return fmt.Errorf("the server %s signed the kubelet's certificate, but it does not parse: %w", a.Server, err)
	}
	if err := (&certs.KeyPair{Cert: cert, Key: key}).Write(a.CertDir, certs.Kubelet); err != nil {
		return fmt.Errorf("writing the kubelet's certificate: %w", err)
	}
	return nil
}

// BootstrapConfig is a client of the server authenticated by the bootstrap token (what the
// agent's kube-proxy uses too), trusting caPEM.
func (a Agent) BootstrapConfig(caPEM []byte) *rest.Config {
	id, secret := BootstrapToken(a.Token.Secret)
	return &rest.Config{
		Host:            a.Server,
		BearerToken:     id + "." + secret,
		TLSClientConfig: rest.TLSClientConfig{CAData: caPEM},
		Timeout:         15 * time.Second,
	}
}

// FetchCA connects to the server and returns the CA certificate it presents in its chain,
// once its hash is the token's and it signed the server's certificate. Nothing secret is
// sent before that.
func FetchCA(ctx context.Context, server string, t Token) (*x509.Certificate, error) {
	if err := ValidateServer(server); err != nil {
		return nil, err
	}
	u, _ := url.Parse(server)
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "443")
	}
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second},
		Config: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // checked below against the token's CA hash
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, fmt.Errorf("cannot reach the server %s: %w (is it running, and is the port open from this host?)", server, err)
	}
	defer conn.Close()
	chain := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(chain) == 0 {
		return nil, fmt.Errorf("the server %s presented no certificate", server)
	}
	for _, c := range chain[1:] {
		if !c.IsCA || !t.Trusts(c) {
			continue
		}
		roots := x509.NewCertPool()
		roots.AddCert(c)
		if _, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, DNSName: u.Hostname()}); err != nil {
			return nil, fmt.Errorf("the server %s presents the token's CA but a certificate not valid for %q (%v): join with an address in the server's certificate (its node IP or a --tls-san)", server, u.Hostname(), err)
		}
		return c, nil
	}
	return nil, fmt.Errorf("the server %s does not present the CA the join token names: the token is from another cluster (or %s is not its server); copy it again from `velad token` on the server", server, u.Host)
}

// requestCert creates the kubelet's CertificateSigningRequest and waits for its certificate.
func (a Agent) requestCert(ctx context.Context, cs kubernetes.Interface, key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "system:node:" + a.NodeName, Organization: []string{"system:nodes"}},
	}, key)
	if err != nil {
		return nil, err
	}
	csr := &certificatesv1.CertificateSigningRequest{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "velad-join-" + a.NodeName + "-"},
		Spec: certificatesv1.CertificateSigningRequestSpec{
			Request:    pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}),
			SignerName: certificatesv1.KubeAPIServerClientKubeletSignerName,
			Usages:     []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth},
		},
	}
	api := cs.CertificatesV1().CertificateSigningRequests()
	created, err := api.Create(ctx, csr, metav1.CreateOptions{})
	if apierrors.IsUnauthorized(err) {
		return nil, fmt.Errorf("the server %s refused the join token (401 Unauthorized): its secret is not this cluster's; copy the token again from `velad token` on the server", a.Server)
	}
	if err != nil {
		return nil, fmt.Errorf("asking the server %s for the kubelet's certificate: %w", a.Server, err)
	}
	deadline := time.Now().Add(certWait)
	for {
		got, err := api.Get(ctx, created.Name, metav1.GetOptions{})
		if err == nil {
			for _, c := range got.Status.Conditions {
				if c.Type == certificatesv1.CertificateDenied || c.Type == certificatesv1.CertificateFailed {
					return nil, fmt.Errorf("the server %s %s the kubelet's certificate request %s: %s", a.Server, c.Type, created.Name, c.Message)
				}
			}
			if len(got.Status.Certificate) > 0 {
				return got.Status.Certificate, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the server %s did not sign the kubelet's certificate request %s within %s (is its controller manager running? see `kubectl get csr` there)", a.Server, created.Name, certWait)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
