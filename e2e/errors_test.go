package e2e

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestBadInputGetsActionableErrors checks that mistakes fail fast with what/where/how.
func TestBadInputGetsActionableErrors(t *testing.T) {
	h := newHost(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	busy := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"install", "--name", "Bad_Name"}, []string{"invalid cluster name", "lowercase"}},
		{[]string{"install", "--name", "e2e", "--port", busy}, []string{"port " + busy, "--port"}},
		{[]string{"uninstall", "--name", "nope"}, []string{`"nope" is not installed`, "velad install"}},
		{[]string{"start", "--name", "nope"}, []string{`"nope" is not installed`}},
		{[]string{"install", "--bogus"}, []string{"unknown flag: --bogus"}},
		{[]string{"install", "--bind-ip", "not-an-ip"}, []string{"--bind-ip", "not an IP"}},
	}
	for _, c := range cases {
		out, err := h.run(c.args...)
		if err == nil {
			t.Errorf("velad %v succeeded, want an error", c.args)
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("velad %v: output %q lacks %q", c.args, out, w)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(h.home, "e2e")); !os.IsNotExist(err) {
		t.Errorf("a failed install left its data dir behind")
	}
	if os.Geteuid() != 0 {
		return
	}
	ro := filepath.Join(t.TempDir(), "ro")
	if err := os.MkdirAll(ro, 0o500); err != nil {
		t.Fatal(err)
	}
	// root ignores permissions; a file where the dir should be is unwritable for everyone.
	blocker := filepath.Join(ro, "file")
	_ = os.WriteFile(blocker, nil, 0o600)
	out, err := h.run("install", "--name", "e2e", "--data-dir", filepath.Join(blocker, "data"), "--port", strconv.Itoa(freePort(t)))
	if err == nil || !strings.Contains(out, "not writable") {
		t.Errorf("install into an unwritable data dir: err=%v out=%q", err, out)
	}
}

// TestInstallScriptOffline installs from a local binary into a directory and uninstalls.
func TestInstallScriptOffline(t *testing.T) {
	dir := t.TempDir()
	script, _ := filepath.Abs("../install.sh")
	cmd := exec.Command("sh", script)
	cmd.Env = append(os.Environ(), "VELAD_BINARY="+veladBin, "INSTALL_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("install.sh: %v\n%s", err, out)
	}
	for _, name := range []string{"velad", "vela", "kubectl"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s not installed: %v", name, err)
		}
	}
	out, err := exec.Command(filepath.Join(dir, "vela"), "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OAM API") {
		t.Errorf("vela link does not run the vela personality: %v %s", err, out)
	}
	cmd = exec.Command("sh", script, "--uninstall")
	cmd.Env = append(os.Environ(), "INSTALL_DIR="+dir, "VELAD_HOME="+t.TempDir())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("install.sh --uninstall: %v\n%s", err, out)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("install.sh --uninstall left %v", entries)
	}
}
