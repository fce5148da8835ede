package join

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"velad.io/velad/pkg/server/certs"
)

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

// NeedsCert says why an agent must ask for a new kubelet certificate, or "" when it need not:
// it has none, the node was renamed, or the certificate is expired or in the last tenth of its
// life. (The kubelet renews it itself from 70–90 % of its life; this catches an agent that was
// stopped, or could not reach its server, until then.)
func NeedsCert(cert *x509.Certificate, nodeName string, now time.Time) string {
	switch {
	case cert == nil:
		return "none yet"
	case cert.Subject.CommonName != "system:node:"+nodeName:
		return fmt.Sprintf("it is %s's, the node is now %s", cert.Subject.CommonName, nodeName)
	case now.After(cert.NotAfter.Add(-cert.NotAfter.Sub(cert.NotBefore) / 10)):
		return fmt.Sprintf("it expires at %s", cert.NotAfter.UTC().Format(time.RFC3339))
	}
	return ""
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
