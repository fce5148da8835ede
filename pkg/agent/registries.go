package agent

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Registries is <data-dir>/registries.yaml, in k3s's format: registry mirrors and, per
// registry host, credentials and TLS settings.
type Registries struct {
	// Mirrors maps a registry name ("docker.io", "*" for every registry) to its mirrors.
	Mirrors map[string]Mirror `yaml:"mirrors"`
	// Configs maps a registry or mirror host to its credentials and TLS settings.
	Configs map[string]RegistryConfig `yaml:"configs"`
}

// Mirror lists the endpoints tried, in order, before the registry's own.
type Mirror struct {
	// Endpoints are registry URLs (https://host:port, or http:// for a plain one).
	Endpoints []string `yaml:"endpoint"`
	// Rewrites map a regular expression on the repository to its replacement (k3s). Upstream
	// containerd has no equivalent: velad reads them and reports that they are not applied.
	Rewrites map[string]string `yaml:"rewrite"`
}

// RegistryConfig holds the credentials and TLS settings of one registry host.
type RegistryConfig struct {
	// Auth are the credentials.
	Auth *RegistryAuth `yaml:"auth"`
	// TLS configures the connection.
	TLS *RegistryTLS `yaml:"tls"`
}

// RegistryAuth are a registry's credentials: username and password, a base64
// "user:password" auth, or an identity token.
type RegistryAuth struct {
	// Username to log in with.
	Username string `yaml:"username"`
	// Password to log in with.
	Password string `yaml:"password"`
	// Auth is base64 of "username:password".
	Auth string `yaml:"auth"`
	// IdentityToken is an OAuth refresh token exchanged for access tokens.
	IdentityToken string `yaml:"identitytoken"`
}

// RegistryTLS configures the TLS connection to a registry.
type RegistryTLS struct {
	// CAFile verifies the registry's certificate.
	CAFile string `yaml:"ca_file"`
	// CertFile and KeyFile are a client certificate.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the client certificate's key.
	KeyFile string `yaml:"key_file"`
	// InsecureSkipVerify accepts any server certificate.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
}

// LoadRegistries reads a registries.yaml; a missing file is no configuration (nil). Errors
// name the file and the line.
func LoadRegistries(path string) (*Registries, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	r := &Registries{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(r); err != nil && !errors.Is(err, io.EOF) {
		msg := strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(err.Error(), "yaml: "), "unmarshal errors:"))
		return nil, fmt.Errorf("%s: %s (the file is k3s's registries.yaml format: mirrors.<registry>.endpoint, configs.<host>.auth/tls; see docs/registries.md)", path, msg)
	}
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func (r *Registries) validate() error {
	for name, m := range r.Mirrors {
		if name == "" {
			return errors.New("mirrors: a registry name is empty")
		}
		for _, e := range m.Endpoints {
			if _, err := endpointURL(e); err != nil {
				return fmt.Errorf("mirrors.%s.endpoint: %w", name, err)
			}
		}
	}
	for host, c := range r.Configs {
		if c.TLS != nil && (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
			return fmt.Errorf("configs.%s.tls: cert_file and key_file go together", host)
		}
	}
	return nil
}

// endpointURL parses a mirror endpoint; one without a scheme is https.
func endpointURL(e string) (*url.URL, error) {
	if !strings.Contains(e, "://") {
		e = "https://" + e
	}
	u, err := url.Parse(e)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%q is not a registry URL (want https://host[:port][/path] or http://…)", e)
	}
	return u, nil
}

// HostsFiles renders containerd's registry host directory: one <registry>/hosts.toml per
// mirrored or configured registry ("_default" for "*"), keyed by its path below the
// directory. The registry's own endpoint stays the last resort, as in k3s.
func (r *Registries) HostsFiles() map[string]string {
	out := map[string]string{}
	if r == nil {
		return out
	}
	names := map[string]bool{}
	for n := range r.Mirrors {
		names[n] = true
	}
	for n := range r.Configs {
		names[n] = true
	}
	for name := range names {
		var b strings.Builder
		b.WriteString("# Written by velad from registries.yaml on every start: edits are lost.\n")
		if name != "*" {
			if c, ok := r.Configs[name]; ok {
				writeTLS(&b, "", c.TLS)
			}
		}
		for _, e := range r.Mirrors[name].Endpoints {
			u, _ := endpointURL(e)
			fmt.Fprintf(&b, "\n[host.%s]\n  capabilities = [\"pull\", \"resolve\"]\n", strconv.Quote(u.String()))
			writeTLS(&b, "  ", r.Configs[u.Host].TLS)
		}
		dir := name
		if name == "*" {
			dir = "_default"
		}
		out[filepath.Join(dir, "hosts.toml")] = b.String()
	}
	return out
}

func writeTLS(b *strings.Builder, indent string, t *RegistryTLS) {
	if t == nil {
		return
	}
	if t.CAFile != "" {
		fmt.Fprintf(b, "%sca = %s\n", indent, strconv.Quote(t.CAFile))
	}
	if t.CertFile != "" {
		fmt.Fprintf(b, "%sclient = [[%s, %s]]\n", indent, strconv.Quote(t.CertFile), strconv.Quote(t.KeyFile))
	}
	if t.InsecureSkipVerify {
		fmt.Fprintf(b, "%sskip_verify = true\n", indent)
	}
}

// CRIAuth renders the credentials as containerd 2's CRI registry configs (hosts.toml has no
// place for them), one table per host with credentials.
func (r *Registries) CRIAuth() string {
	if r == nil {
		return ""
	}
	hosts := make([]string, 0, len(r.Configs))
	for h, c := range r.Configs {
		if c.Auth != nil {
			hosts = append(hosts, h)
		}
	}
	sort.Strings(hosts)
	var b strings.Builder
	for _, h := range hosts {
		a := r.Configs[h].Auth
		fmt.Fprintf(&b, "  [plugins.\"io.containerd.cri.v1.images\".registry.configs.%s.auth]\n", strconv.Quote(h))
		for _, kv := range [][2]string{{"username", a.Username}, {"password", a.Password}, {"auth", a.Auth}, {"identitytoken", a.IdentityToken}} {
			if kv[1] != "" {
				fmt.Fprintf(&b, "    %s = %s\n", kv[0], strconv.Quote(kv[1]))
			}
		}
	}
	return b.String()
}

// Rewrites lists the mirrors' rewrite rules, which containerd cannot apply.
func (r *Registries) Rewrites() []string {
	if r == nil {
		return nil
	}
	var out []string
	for name, m := range r.Mirrors {
		for from, to := range m.Rewrites {
			out = append(out, fmt.Sprintf("%s: %s → %s", name, from, to))
		}
	}
	sort.Strings(out)
	return out
}

// writeHostsDir replaces dir with the registries' host files.
func writeHostsDir(dir string, r *Registries) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for rel, data := range r.HostsFiles() {
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}
