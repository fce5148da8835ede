package join

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"velad.io/velad/pkg/server/certs"
)

// tlsServer serves HTTPS on 127.0.0.1 with a certificate from ca, its chain ending with ca
// when withCA.
func tlsServer(t *testing.T, ca *certs.KeyPair, withCA bool) string {
	return tlsServerChain(t, ca, ca, withCA)
}

// tlsServerChain serves a certificate issued by issuer with chainCA (when withCA) after it.
func tlsServerChain(t *testing.T, issuer, ca *certs.KeyPair, withCA bool) string {
	t.Helper()
	leaf, err := issuer.Issue(certs.Request{CommonName: "kube-apiserver", IPs: []net.IP{net.ParseIP("127.0.0.1")}, Server: true})
	if err != nil {
		t.Fatal(err)
	}
	chain := [][]byte{leaf.Cert.Raw}
	if withCA {
		chain = append(chain, ca.Cert.Raw)
	}
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: chain, PrivateKey: leaf.Key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestFetchCATrustsOnlyTheTokensCA(t *testing.T) {
	ca, err := certs.NewCA("velad-ca")
	if err != nil {
		t.Fatal(err)
	}
	other, err := certs.NewCA("other")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	url := tlsServer(t, ca, true)
	tok, _ := Parse(Format(ca.Cert, "s"))
	got, err := FetchCA(ctx, url, tok)
	if err != nil || !got.Equal(ca.Cert) {
		t.Fatalf("FetchCA with the cluster's token: %v, %v", got, err)
	}
	wrong, _ := Parse(Format(other.Cert, "s"))
	if _, err := FetchCA(ctx, url, wrong); err == nil || !strings.Contains(err.Error(), "does not present the CA the join token names") {
		t.Fatalf("FetchCA with another cluster's token: %v", err)
	}
	if _, err := FetchCA(ctx, tlsServer(t, ca, false), tok); err == nil {
		t.Fatal("a server that does not present its CA was trusted")
	}
	// The chain's CA must also have signed the server's certificate: a server showing the
	// cluster's CA certificate (public) beside its own is not trusted.
	forged := tlsServerChain(t, other, ca, true)
	if _, err := FetchCA(ctx, forged, tok); err == nil || !strings.Contains(err.Error(), "not valid") {
		t.Fatalf("a server certificate the token's CA did not sign: %v", err)
	}
	if _, err := FetchCA(ctx, "https://127.0.0.1:1", tok); err == nil || !strings.Contains(err.Error(), "cannot reach the server") {
		t.Fatalf("an unreachable server: %v", err)
	}
}
