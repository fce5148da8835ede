package multicluster

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"k8s.io/client-go/rest"
)

// DefaultProbeTimeout bounds one readiness probe.
const DefaultProbeTimeout = 3 * time.Second

// ProbeFunc checks that the API server of cfg is ready.
type ProbeFunc func(ctx context.Context, cfg *rest.Config) error

// ProbeReadyz returns a ProbeFunc that GETs /readyz within timeout and wants 200 ok.
func ProbeReadyz(timeout time.Duration) ProbeFunc {
	return func(ctx context.Context, cfg *rest.Config) error {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		c := rest.CopyConfig(cfg)
		c.Timeout = timeout
		hc, err := rest.HTTPClientFor(c)
		if err != nil {
			return fmt.Errorf("building the client: %w", err)
		}
		defer hc.CloseIdleConnections()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(c.Host, "/")+"/readyz", nil)
		if err != nil {
			return err
		}
		resp, err := hc.Do(req)
		if err != nil {
			if badServerCert(err) {
				return fmt.Errorf("%w: the server's certificate does not match the stored %s: %v", ErrCredentialRejected, KeyCA, shortenCause(err, timeout))
			}
			return shortenCause(err, timeout)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		switch resp.StatusCode {
		case http.StatusOK:
			return nil
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%w (HTTP %d): the certificate or token is wrong, expired or lacks access", ErrCredentialRejected, resp.StatusCode)
		}
		return fmt.Errorf("/readyz answered HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
}

// badServerCert reports a TLS failure to verify the server against the stored CA.
func badServerCert(err error) bool {
	var ua x509.UnknownAuthorityError
	var ci x509.CertificateInvalidError
	var he x509.HostnameError
	return errors.As(err, &ua) || errors.As(err, &ci) || errors.As(err, &he)
}

// shortenCause drops the method and URL that net/http puts in front of the cause: the
// callers name the endpoint themselves.
func shortenCause(err error, timeout time.Duration) error {
	var uerr *url.Error
	if !errors.As(err, &uerr) {
		return err
	}
	if uerr.Timeout() {
		return fmt.Errorf("no answer within %s: %w", timeout, ErrProbeTimeout)
	}
	return uerr.Err
}
