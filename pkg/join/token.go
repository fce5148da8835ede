package join

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// tokenPrefix starts every join token: a version tag, as k3s's K10.
const tokenPrefix = "V10"

// Token is a parsed join token: whom to trust and the secret that authenticates the agent.
type Token struct {
	// CAHash is the hex SHA-256 of the cluster CA certificate (DER).
	CAHash string
	// Secret is the cluster's secret (the server's token file).
	Secret string
}

// ErrBadToken is wrapped by every error about a join token's form.
var ErrBadToken = errors.New("the join token is not one `velad token` prints (V10<CA hash>::<secret>): copy it again from `velad token` on the server")

// CAHash returns the hex SHA-256 of a CA certificate, as join tokens carry it.
func CAHash(ca *x509.Certificate) string {
	sum := sha256.Sum256(ca.Raw)
	return hex.EncodeToString(sum[:])
}

// Format returns the join token for a cluster whose CA is ca and whose secret is secret.
func Format(ca *x509.Certificate, secret string) string {
	return tokenPrefix + CAHash(ca) + "::" + secret
}

// Parse reads a join token. Its errors never include the token.
func Parse(s string) (Token, error) {
	s = strings.TrimSpace(s)
	rest, ok := strings.CutPrefix(s, tokenPrefix)
	if !ok {
		return Token{}, ErrBadToken
	}
	hash, secret, ok := strings.Cut(rest, "::")
	if !ok || len(hash) != 64 || secret == "" {
		return Token{}, ErrBadToken
	}
	if _, err := hex.DecodeString(hash); err != nil {
		return Token{}, ErrBadToken
	}
	return Token{CAHash: strings.ToLower(hash), Secret: secret}, nil
}

// Trusts reports whether ca is the CA the token names.
func (t Token) Trusts(ca *x509.Certificate) bool {
	return subtle.ConstantTimeCompare([]byte(CAHash(ca)), []byte(t.CAHash)) == 1
}

// BootstrapToken returns the Kubernetes bootstrap token (id.secret, [a-z0-9]{6}.[a-z0-9]{16})
// derived from the cluster secret: the server registers it, the agent authenticates with it.
func BootstrapToken(secret string) (id, tokenSecret string) {
	idSum := sha256.Sum256([]byte("velad-join-id\x00" + secret))
	secSum := sha256.Sum256([]byte("velad-join-secret\x00" + secret))
	return hex.EncodeToString(idSum[:])[:6], hex.EncodeToString(secSum[:])[:16]
}

// String never shows the secret, so that a token printed by mistake leaks nothing.
func (t Token) String() string {
	return fmt.Sprintf("join token for CA %s…", t.CAHash[:min(12, len(t.CAHash))])
}
