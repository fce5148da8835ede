package join

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"velad.io/velad/pkg/server/certs"
)

func TestTokenRoundTripAndTrust(t *testing.T) {
	ca, err := certs.NewCA("test-ca")
	if err != nil {
		t.Fatal(err)
	}
	other, err := certs.NewCA("other-ca")
	if err != nil {
		t.Fatal(err)
	}
	s := Format(ca.Cert, "V10secret::with-colons")
	tok, err := Parse("  " + s + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Secret != "V10secret::with-colons" || !tok.Trusts(ca.Cert) || tok.Trusts(other.Cert) {
		t.Fatalf("parsed %+v: trusts ca %v, other %v", tok, tok.Trusts(ca.Cert), tok.Trusts(other.Cert))
	}
	if strings.Contains(tok.String(), "secret") {
		t.Fatalf("a printed token shows its secret: %s", tok)
	}
}

func TestParseRejectsTokensOfAnotherForm(t *testing.T) {
	hash := strings.Repeat("a1", 32)
	for _, bad := range []string{
		"", "V10", "secret-only", "K10" + hash + "::s", "V10" + hash + "::", "V10" + hash[:60] + "::s",
		"V10" + strings.Repeat("zz", 32) + "::s", "V10" + hash + ":s",
	} {
		_, err := Parse(bad)
		if !errors.Is(err, ErrBadToken) {
			t.Errorf("Parse(%q) = %v, want ErrBadToken", bad, err)
		}
		if bad != "" && len(bad) > 3 && strings.Contains(err.Error(), bad) {
			t.Errorf("the error for %q shows the token", bad)
		}
	}
}

func TestBootstrapTokenIsAValidStableKubernetesToken(t *testing.T) {
	id, secret := BootstrapToken("s1")
	if !regexp.MustCompile(`^[a-z0-9]{6}$`).MatchString(id) || !regexp.MustCompile(`^[a-z0-9]{16}$`).MatchString(secret) {
		t.Fatalf("bootstrap token %s.%s is not [a-z0-9]{6}.[a-z0-9]{16}", id, secret)
	}
	if id2, secret2 := BootstrapToken("s1"); id2 != id || secret2 != secret {
		t.Fatal("the bootstrap token of a secret changes between calls")
	}
	if id2, secret2 := BootstrapToken("s2"); id2 == id || secret2 == secret {
		t.Fatal("two secrets give the same bootstrap token")
	}
}

func TestValidateServer(t *testing.T) {
	for _, ok := range []string{"https://10.0.0.1:6443", "https://server.example"} {
		if err := ValidateServer(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "10.0.0.1:6443", "http://10.0.0.1:6443", "https://"} {
		if err := ValidateServer(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
