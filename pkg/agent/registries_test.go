package agent

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const registriesYAML = `mirrors:
  docker.io:
    endpoint:
      - "https://mirror.example.com:5000"
      - "http://10.0.0.7:5000/v2"
    rewrite:
      "^library/(.*)": "mirrored/$1"
  "*":
    endpoint: ["https://all.example.com"]
configs:
  "mirror.example.com:5000":
    auth:
      username: robot
      password: s3cret
    tls:
      ca_file: /etc/velad/ca.crt
      cert_file: /etc/velad/client.crt
      key_file: /etc/velad/client.key
  "private.example.com":
    auth:
      identitytoken: tok
    tls:
      insecure_skip_verify: true
`

func loadString(t *testing.T, content string) (*Registries, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "registries.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return LoadRegistries(path)
}

func TestRegistriesRender(t *testing.T) {
	r, err := loadString(t, registriesYAML)
	if err != nil {
		t.Fatal(err)
	}
	files := r.HostsFiles()
	docker := files["docker.io/hosts.toml"]
	for _, want := range []string{
		`[host."https://mirror.example.com:5000"]`,
		`ca = "/etc/velad/ca.crt"`,
		`client = [["/etc/velad/client.crt", "/etc/velad/client.key"]]`,
		`[host."http://10.0.0.7:5000/v2"]`,
		`capabilities = ["pull", "resolve"]`,
	} {
		if !strings.Contains(docker, want) {
			t.Errorf("docker.io/hosts.toml lacks %s:\n%s", want, docker)
		}
	}
	if strings.Index(docker, "mirror.example.com") > strings.Index(docker, "10.0.0.7") {
		t.Errorf("mirrors out of order:\n%s", docker)
	}
	if strings.Contains(docker, "server =") {
		t.Errorf("docker.io/hosts.toml names a server: containerd's default endpoint must stay the last resort:\n%s", docker)
	}
	if !strings.Contains(files["_default/hosts.toml"], `[host."https://all.example.com"]`) {
		t.Errorf(`"*" is not rendered as _default: %v`, files)
	}
	if p := files["private.example.com/hosts.toml"]; !strings.Contains(p, "skip_verify = true") || strings.Contains(p, "[host.") {
		t.Errorf("private.example.com/hosts.toml: TLS of the registry itself expected:\n%s", p)
	}
	auth := r.CRIAuth()
	for _, want := range []string{
		`[plugins."io.containerd.cri.v1.images".registry.configs."mirror.example.com:5000".auth]`,
		`username = "robot"`, `password = "s3cret"`,
		`[plugins."io.containerd.cri.v1.images".registry.configs."private.example.com".auth]`,
		`identitytoken = "tok"`,
	} {
		if !strings.Contains(auth, want) {
			t.Errorf("CRI auth lacks %s:\n%s", want, auth)
		}
	}
	if rw := r.Rewrites(); len(rw) != 1 || !strings.Contains(rw[0], "^library/(.*)") {
		t.Errorf("rewrites: %v", rw)
	}
	full := renderContainerdConfig(Paths{Dir: "/d/agent", RunDir: "/run/velad/x"}, Runtime{Runc: "/usr/bin/runc", CNIDirs: []string{"/usr/lib/cni"}}, r, "cgroupfs")
	if !strings.Contains(full, `config_path = "/d/agent/etc/containerd/certs.d"`) || !strings.Contains(full, `username = "robot"`) {
		t.Errorf("containerd config lacks the registry section:\n%s", full)
	}
}

func TestRegistriesErrors(t *testing.T) {
	if r, err := LoadRegistries(filepath.Join(t.TempDir(), "none.yaml")); r != nil || err != nil {
		t.Fatalf("a missing file: %v, %v; want no configuration", r, err)
	}
	for _, c := range []struct{ content, want string }{
		{"mirrors:\n  docker.io:\n    endpoints: [\"https://m\"]\n", "line 3: field endpoints not found"},
		{"mirrors:\n  docker.io:\n    endpoint: https://m\n", "line 3"},
		{"mirrors: [\n", "line 1"},
		{"mirrors:\n  docker.io:\n    endpoint: [\"ftp://m\"]\n", "mirrors.docker.io.endpoint"},
		{"configs:\n  r.io:\n    tls: {cert_file: /c}\n", "cert_file and key_file"},
	} {
		_, err := loadString(t, c.content)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "registries.yaml") {
			t.Errorf("%q: error %v, want one naming the file and %q", c.content, err, c.want)
		}
	}
}
