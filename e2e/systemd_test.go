package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"velad.io/velad/pkg/agent"
)

// systemdNS is a systemd running as PID 1 of its own PID, mount and UTS namespaces, so that the
// systemd driver can be tested on a host whose PID 1 is not systemd (containers, CI). It knows
// only the few empty targets written here (SYSTEMD_UNIT_PATH is its private tmpfs
// /etc/systemd/system), so it starts none of the host's units: no tmpfiles (which would empty the
// host's /tmp), sysctl or binfmt services, nothing the host has enabled.
type systemdNS struct {
	t   *testing.T
	pid int // the namespace's systemd, as seen from the host
}

// systemdBoot prepares the namespaces and execs systemd. Besides the private /run and unit
// directory, what PID 1 would otherwise change on the host is made private or read-only: the
// kernel settings under /proc/sys (it raises fs.nr_open and net.unix.max_dgram_qlen),
// /etc/machine-id (a private copy) and /dev/console (it resets the terminal).
const systemdBoot = `set -e
mount --make-rprivate /
mount --bind /proc/sys /proc/sys
mount -o remount,bind,ro /proc/sys
mount -t tmpfs tmpfs /run
mkdir -p /run/lock
cp /etc/machine-id /run/machine-id
mount --bind /run/machine-id /etc/machine-id
if [ -e /dev/console ]; then mount --bind /dev/null /dev/console; fi
mount -t tmpfs tmpfs /etc/systemd/system
cd /etc/systemd/system
for t in velad-e2e sysinit basic multi-user network-online network shutdown; do
  printf '[Unit]\nDescription=%s (velad e2e)\n' "$t" > "$t.target"
done
printf '[Unit]\nDescription=system.slice (velad e2e)\n' > system.slice
export container=velad-e2e SYSTEMD_UNIT_PATH=/etc/systemd/system
export SYSTEMD_GENERATOR_PATH=/nonexistent SYSTEMD_ENVIRONMENT_GENERATOR_PATH=/nonexistent
exec /lib/systemd/systemd --system --unit=velad-e2e.target --log-target=console
`

// startSystemd boots systemd in new namespaces and waits until it runs. It skips the test,
// loudly, where that cannot work (not root, no systemd or util-linux installed).
func startSystemd(t *testing.T) *systemdNS {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("!!!!! NOT TESTED: the systemd driver needs root (velad uses it only as root)")
	}
	for _, bin := range []string{"/lib/systemd/systemd", "unshare", "nsenter", "systemctl"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("!!!!! NOT TESTED: the systemd driver test needs %s (hack/install-deps.sh test installs it)", bin)
		}
	}
	if b, err := os.ReadFile("/etc/machine-id"); err != nil || len(strings.TrimSpace(string(b))) == 0 {
		t.Skip("!!!!! NOT TESTED: the host has no /etc/machine-id, which systemd as PID 1 would write")
	}
	cgroupsBefore := cgroupDirs()
	logPath := filepath.Join(t.TempDir(), "systemd.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	// --kill-child and Pdeathsig: if the test binary dies, so do unshare, systemd and the server.
	cmd := exec.Command("unshare", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc", "--uts", "sh", "-c", systemdBoot)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting systemd in a namespace: %v", err)
	}
	ns := &systemdNS{t: t}
	t.Cleanup(func() {
		if ns.pid > 0 {
			// Killing a PID namespace's init kills every process in it, the velad server included.
			_ = syscall.Kill(ns.pid, syscall.SIGKILL)
		}
		// unshare reaps it and exits; killing unshare first would leave it a zombie.
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logFile.Close()
		start := time.Now()
		for removeNewCgroups(cgroupsBefore) > 0 && time.Since(start) < 30*time.Second {
			time.Sleep(250 * time.Millisecond)
		}
		t.Logf("namespace and its cgroups gone in %s", time.Since(start).Round(time.Millisecond))
	})
	poll(t, "systemd running in a namespace", 60*time.Second, 300*time.Millisecond, func() error {
		if ns.pid == 0 {
			ns.pid = firstChild(cmd.Process.Pid)
		}
		state := "not started"
		if ns.pid > 0 {
			out, _ := ns.exec("systemctl", "is-system-running")
			if state = strings.TrimSpace(out); state == "running" || state == "degraded" {
				return nil
			}
		}
		log, _ := os.ReadFile(logPath)
		return fmt.Errorf("state %q; its log:\n%s", state, log)
	})
	return ns
}

// cgroupDirs lists the cgroups named like systemd units (slices, scopes, mounts, services), at
// any depth of every hierarchy (v1) or of the unified one: the namespace's systemd creates its
// own there. Others, such as the kubelet's kubepods, are not listed.
func cgroupDirs() map[string]bool {
	dirs := map[string]bool{}
	_ = filepath.WalkDir("/sys/fs/cgroup", func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		switch filepath.Ext(p) {
		case ".slice", ".scope", ".mount", ".service":
			dirs[p] = true
			return filepath.SkipDir
		}
		return nil
	})
	return dirs
}

// removeNewCgroups removes the (empty, once the namespace is dead) cgroups made since before and
// returns how many are left.
func removeNewCgroups(before map[string]bool) (left int) {
	for dir := range cgroupDirs() {
		if before[dir] {
			continue
		}
		agent.RemoveCgroupTree(dir)
		if _, err := os.Stat(dir); err == nil {
			left++
		}
	}
	return left
}

// firstChild returns the pid of a child of pid, or 0.
func firstChild(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(f[0])
	return n
}

// exec runs a command inside the namespaces and returns its combined output.
func (ns *systemdNS) exec(name string, args ...string) (string, error) {
	out, err := exec.Command("nsenter", append([]string{"-t", strconv.Itoa(ns.pid), "-p", "-m", "--", name}, args...)...).CombinedOutput()
	return string(out), err
}

// velad runs velad inside the namespaces, in h's velad home.
func (ns *systemdNS) velad(h *host, args ...string) string {
	ns.t.Helper()
	out, err := h.runAs("nsenter", append([]string{"-t", strconv.Itoa(ns.pid), "-p", "-m", "--", veladBin}, args...)...)
	if err != nil {
		ns.t.Fatalf("velad %s (under systemd): %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// TestSystemdDriver installs a cluster on a host whose PID 1 is systemd: the server runs as the
// unit velad-<name>.service, systemd restarts it after kill -9, stop/start go through systemctl,
// and uninstall removes the unit.
func TestSystemdDriver(t *testing.T) {
	// The home first: its clean-up runs after the namespace is gone. A name of its own, so no
	// clean-up outside the namespace ever touches a unit of a real cluster on this host.
	h := newHost(t)
	ns := startSystemd(t)
	const name = "systemd-e2e"
	const unit = "velad-" + name + ".service"
	unitFile := "/etc/systemd/system/" + unit

	out := ns.velad(h, "install", "--name", name, "--port", strconv.Itoa(freePort(t)), "--node", "simulated")
	if !strings.Contains(out, "kubeconfig") {
		t.Fatalf("install did not print the kubeconfig:\n%s", out)
	}
	st := ns.velad(h, "status", "--name", name, "-o", "json")
	if !strings.Contains(st, `"driver": "systemd"`) {
		t.Fatalf("status does not name the systemd driver:\n%s", st)
	}
	if out, err := ns.exec("systemctl", "is-active", unit); strings.TrimSpace(out) != "active" {
		t.Fatalf("systemctl is-active %s: %v: %s", unit, err, out)
	}
	if out, err := ns.exec("systemctl", "is-enabled", unit); strings.TrimSpace(out) != "enabled" {
		t.Fatalf("systemctl is-enabled %s: %v: %s (the server must come back at boot)", unit, err, out)
	}
	kubectl := h.kubectlOf(name)
	if out, err := kubectl("create", "configmap", "kept", "--from-literal=k=v"); err != nil {
		t.Fatalf("kubectl create: %v\n%s", err, out)
	}

	// kill -9: systemd restarts the server (Restart=always) and the data is intact.
	dataDir := filepath.Join(h.home, name)
	old := killServer(t, dataDir)
	poll(t, "systemd restarting the server after kill -9", 60*time.Second, 300*time.Millisecond, func() error {
		if pid := serverPID(dataDir); pid == 0 || pid == old {
			return fmt.Errorf("server pid %d (killed: %d)", pid, old)
		}
		return nil
	})
	waitReadyIn(t, ns, h, name, 60*time.Second)
	if out, _ := kubectl("get", "configmap", "kept", "-o", "jsonpath={.data.k}"); out != "v" {
		t.Fatalf("configmap after restart: %q", out)
	}

	// stop and start go through systemctl.
	ns.velad(h, "stop", "--name", name)
	if out, _ := ns.exec("systemctl", "is-active", unit); strings.TrimSpace(out) == "active" {
		t.Fatalf("%s still active after velad stop", unit)
	}
	if pid := serverPID(dataDir); pid != 0 {
		t.Fatalf("velad server %d still running after velad stop", pid)
	}
	ns.velad(h, "start", "--name", name)
	waitReadyIn(t, ns, h, name, 60*time.Second)

	// uninstall: no unit, no data dir, no processes.
	ns.velad(h, "uninstall", "--name", name)
	if out, err := ns.exec("test", "-e", unitFile); err == nil {
		t.Fatalf("%s left after uninstall %s", unitFile, out)
	}
	if out, _ := ns.exec("systemctl", "list-unit-files", unit, "--no-legend"); strings.Contains(out, unit) {
		t.Fatalf("systemd still knows %s after uninstall:\n%s", unit, out)
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Fatalf("data dir %s left after uninstall (%v)", dataDir, err)
	}
	if left := pids(dataDir); len(left) > 0 {
		t.Fatalf("processes left after uninstall: %v", left)
	}
}

// waitReadyIn waits until `velad status`, run inside the namespaces, says the cluster is ready.
func waitReadyIn(t *testing.T, ns *systemdNS, h *host, name string, timeout time.Duration) {
	t.Helper()
	poll(t, "cluster ready under systemd", timeout, 300*time.Millisecond, func() error {
		out, _ := h.runAs("nsenter", "-t", strconv.Itoa(ns.pid), "-p", "-m", "--", veladBin, "status", "--name", name, "-o", "json")
		if strings.Contains(out, `"ready": true`) {
			return nil
		}
		unit, _ := ns.exec("systemctl", "status", "--no-pager", "velad-"+name+".service")
		return fmt.Errorf("%s", unit)
	})
}
