package join

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/klog/v2"

	"velad.io/velad/pkg/server/certs"
)

// KubeletCredentials makes sure an agent's kubelet has a client certificate for its node and
// returns the file it — and velad, for node readiness and status — authenticates with: the
// kubelet's certificate store in pkiDir (kubelet-client-current.pem, certificate and key), which
// velad seeds with velad join's certificate and the kubelet keeps renewing. It asks the server
// for a new certificate when NeedsCert says so, and fails only when it must have one.
func (a Agent) KubeletCredentials(ctx context.Context, pkiDir string, now time.Time) (string, error) {
	store := filepath.Join(pkiDir, "kubelet-client-current.pem")
	current, err := KubeletCert(a.CertDir, store)
	if err != nil {
		klog.ErrorS(err, "the kubelet's certificate is unreadable: asking for a new one")
	}
	if why, must := NeedsCert(current, a.NodeName, now); why != "" {
		klog.InfoS("asking the server for the kubelet's client certificate", "server", a.Server, "reason", why)
		switch err := a.Bootstrap(ctx); {
		case err != nil && must:
			return "", err
		case err != nil:
			klog.ErrorS(err, "could not renew the kubelet's certificate early: going on with the current one; the kubelet renews it once the server answers")
		default:
			if err := ForgetRotated(pkiDir); err != nil {
				return "", fmt.Errorf("removing the kubelet's previous certificates: %w", err)
			}
		}
	}
	if _, err := os.Lstat(store); err == nil {
		return store, nil
	}
	return store, seedStore(pkiDir, a.CertDir, now)
}

// seedStore puts velad join's certificate and key into the kubelet's certificate store, in the
// store's own layout: kubelet-client-<time>.pem and the kubelet-client-current.pem link to it.
func seedStore(pkiDir, certDir string, now time.Time) error {
	crt, err := os.ReadFile(certs.Path(certDir, certs.Kubelet+".crt"))
	if err != nil {
		return fmt.Errorf("reading the kubelet's certificate: %w", err)
	}
	key, err := os.ReadFile(certs.Path(certDir, certs.Kubelet+".key"))
	if err != nil {
		return fmt.Errorf("reading the kubelet's key: %w", err)
	}
	if err := os.MkdirAll(pkiDir, 0o700); err != nil {
		return err
	}
	abs, err := filepath.Abs(filepath.Join(pkiDir, "kubelet-client-"+now.UTC().Format("2006-01-02-15-04-05")+".pem"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(abs, append(crt, key...), 0o600); err != nil {
		return fmt.Errorf("seeding the kubelet's certificate store: %w", err)
	}
	return os.Symlink(abs, filepath.Join(pkiDir, "kubelet-client-current.pem"))
}

// KubeletCert returns the client certificate an agent's kubelet authenticates with: the one the
// kubelet rotated last (storeFile, its kubelet-client-current.pem) when there is one, else the
// one `velad join` obtained (in certDir). Neither: nil and no error.
func KubeletCert(certDir, storeFile string) (*x509.Certificate, error) {
	data, err := os.ReadFile(storeFile)
	if errors.Is(err, os.ErrNotExist) {
		data, err = os.ReadFile(filepath.Join(certDir, certs.Kubelet+".crt"))
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return nil, fmt.Errorf("no certificate in the kubelet's credentials (%s or %s)", storeFile, certDir)
		}
		if b.Type == "CERTIFICATE" {
			return x509.ParseCertificate(b.Bytes)
		}
	}
}

// NeedsCert says why an agent should ask for a new kubelet certificate, or "" when it need not,
// and whether it must (it cannot run without one) or only should: it has none, the node was
// renamed, or the certificate expired (must); the certificate is in the last tenth of its life
// (should: the kubelet renews it itself from 70–90 % of its life, so this catches an agent
// that was stopped, or could not reach its server, until then; it still works meanwhile).
func NeedsCert(cert *x509.Certificate, nodeName string, now time.Time) (why string, must bool) {
	switch {
	case cert == nil:
		return "none yet", true
	case cert.Subject.CommonName != "system:node:"+nodeName:
		return fmt.Sprintf("it is %s's, the node is now %s", cert.Subject.CommonName, nodeName), true
	case !now.Before(cert.NotAfter):
		return fmt.Sprintf("it expired at %s", cert.NotAfter.UTC().Format(time.RFC3339)), true
	case now.After(cert.NotAfter.Add(-cert.NotAfter.Sub(cert.NotBefore) / 10)):
		return fmt.Sprintf("it expires at %s", cert.NotAfter.UTC().Format(time.RFC3339)), false
	}
	return "", false
}

// ForgetRotated removes the certificates the kubelet rotated into pkiDir, so that it starts
// from the one just obtained.
func ForgetRotated(pkiDir string) error {
	old, err := filepath.Glob(filepath.Join(pkiDir, "kubelet-client-*.pem"))
	if err != nil {
		return err
	}
	for _, f := range old {
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}
