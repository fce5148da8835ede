package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"default", "sub", "a", "edge-01", strings.Repeat("a", 32)} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("ValidateName(%q) = %v, want ok", ok, err)
		}
	}
	for _, bad := range []string{"", "Bad_Name", "-x", "x-", "a/b", "a.b", strings.Repeat("a", 33), "../etc"} {
		err := ValidateName(bad)
		if err == nil {
			t.Errorf("ValidateName(%q) accepted", bad)
			continue
		}
		if !strings.Contains(err.Error(), "lowercase letters") {
			t.Errorf("ValidateName(%q) error %q does not say what is allowed", bad, err)
		}
	}
}

func TestValidateReportsTheBadField(t *testing.T) {
	cases := map[string]func(c *Config){
		"must be an absolute path": func(c *Config) { c.DataDir = "relative" },
		"--port 70000":             func(c *Config) { c.APIServer.Port = 70000 },
		"--bind-ip":                func(c *Config) { c.APIServer.BindIP = "localhost" },
		"--node-ip":                func(c *Config) { c.Node.IP = "999.1.1.1" },
		"not a CIDR":               func(c *Config) { c.Network.ServiceCIDR = "10.43.0.0" },
	}
	for want, mutate := range cases {
		c := New("default", "/var/lib/velad/default")
		mutate(c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want an error mentioning %q", err, want)
		}
	}
	if err := New("default", "/var/lib/velad/default").Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c1")
	c := New("c1", dir)
	c.ClusterOnly = true
	c.APIServer.TLSSANs = []string{"example.com"}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "config.yaml"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config.yaml mode = %v err = %v, want 0600", st.Mode(), err)
	}
	got, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ClusterOnly || got.APIServer.TLSSANs[0] != "example.com" || got.APIServer.Port != DefaultPort {
		t.Fatalf("round trip lost fields: %+v", got)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Fatalf("Load of an empty dir = %v, want not installed", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("name: x\nbogusField: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "config.yaml") || !strings.Contains(err.Error(), "bogusField") {
		t.Fatalf("Load of a config with an unknown field = %v, want an error naming the file and field", err)
	}
}
