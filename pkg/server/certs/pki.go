package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
)

// File base names of the PKI inside the certificate directory.
const (
	CA              = "ca"
	FrontProxyCA    = "front-proxy-ca"
	FrontProxy      = "front-proxy-client"
	Serving         = "apiserver"
	KubeletClient   = "apiserver-kubelet-client"
	Admin           = "admin"
	ControllerMgr   = "kube-controller-manager"
	Scheduler       = "kube-scheduler"
	Node            = "node"
	Kubelet         = "kubelet"
	KubeProxy       = "kube-proxy"
	ServiceAccount  = "service-account"
	mastersGroup    = "system:masters"
	defaultCANameCP = "velad-ca"
)

// SANs are the names and addresses the API server's serving certificate is valid for.
type SANs struct {
	DNSNames []string
	IPs      []net.IP
}

// clientCerts lists the client certificates issued from the cluster CA: base name → subject.
var clientCerts = []struct {
	base, cn string
	org      []string
}{
	{Admin, "velad-admin", []string{mastersGroup}},
	{ControllerMgr, "system:kube-controller-manager", nil},
	{Scheduler, "system:kube-scheduler", nil},
	{Node, "velad-node", []string{mastersGroup}},
	{KubeletClient, "kube-apiserver-kubelet-client", []string{mastersGroup}},
	{KubeProxy, "system:kube-proxy", nil},
}

// Ensure creates every missing file of the PKI under dir. CAs and keys that already exist are
// kept, so a restart keeps its identity; the serving certificate is re-issued on every call so
// that it always carries the current SANs.
func Ensure(dir string, sans SANs) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating certificate directory: %w", err)
	}
	ca, err := loadOrCreateCA(dir, CA, defaultCANameCP)
	if err != nil {
		return err
	}
	for _, c := range clientCerts {
		if err := ensureLeaf(dir, c.base, ca, Request{CommonName: c.cn, Organization: c.org, Client: true}); err != nil {
			return err
		}
	}
	serving, err := ca.Issue(Request{CommonName: "kube-apiserver", DNSNames: sans.DNSNames, IPs: sans.IPs, Server: true})
	if err != nil {
		return err
	}
	// The chain ends with the CA, so that a joining agent can check it against the hash in
	// its join token (package join).
	if err := serving.Write(dir, Serving, ca); err != nil {
		return err
	}
	fp, err := loadOrCreateCA(dir, FrontProxyCA, "velad-front-proxy-ca")
	if err != nil {
		return err
	}
	if err := ensureLeaf(dir, FrontProxy, fp, Request{CommonName: "system:auth-proxy", Client: true}); err != nil {
		return err
	}
	return ensureServiceAccountKey(dir)
}

// Path returns the path of the file name under dir (e.g. Path(dir, "ca.crt")).
func Path(dir, name string) string { return filepath.Join(dir, name) }

func loadOrCreateCA(dir, base, cn string) (*KeyPair, error) {
	kp, err := Load(dir, base)
	if err == nil {
		return kp, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("loading %s from %s (remove the certs directory to start a new cluster identity): %w", base, dir, err)
	}
	kp, err = NewCA(cn)
	if err != nil {
		return nil, err
	}
	return kp, kp.Write(dir, base)
}

func ensureLeaf(dir, base string, ca *KeyPair, req Request) error {
	if _, err := Load(dir, base); err == nil {
		return nil
	}
	kp, err := ca.Issue(req)
	if err != nil {
		return err
	}
	return kp.Write(dir, base)
}

func ensureServiceAccountKey(dir string) error {
	keyPath := filepath.Join(dir, ServiceAccount+".key")
	if _, err := os.Stat(keyPath); err == nil {
		return nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating service-account key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	if err := writeFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, ServiceAccount+".pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
}

// EnsureKubelet issues the real node's kubelet client certificate (system:node:<nodeName> in
// system:nodes, as the Node authorizer and NodeRestriction expect), again when the node was
// renamed.
func EnsureKubelet(dir, nodeName string) error {
	cn := "system:node:" + nodeName
	if kp, err := Load(dir, Kubelet); err == nil && kp.Cert.Subject.CommonName == cn {
		return nil
	}
	ca, err := Load(dir, CA)
	if err != nil {
		return fmt.Errorf("loading the cluster CA for the kubelet certificate: %w", err)
	}
	kp, err := ca.Issue(Request{CommonName: cn, Organization: []string{"system:nodes"}, Client: true})
	if err != nil {
		return err
	}
	return kp.Write(dir, Kubelet)
}
