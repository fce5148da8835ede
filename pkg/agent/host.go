package agent

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"velad.io/velad/pkg/agent/bundled"
)

// CNIBinDirs are searched, in order, for the host's CNI plugins when velad carries none.
var CNIBinDirs = []string{"/usr/lib/cni", "/opt/cni/bin"}

// cniPlugins are the CNI plugins the node's network uses.
var cniPlugins = []string{"bridge", "host-local", "portmap", "loopback"}

// installHint tells how to get the host packages a real node uses.
const installHint = "install them with hack/install-deps.sh (Debian: apt-get install iptables conntrack)"

// runtimeHint tells how to get runc and the CNI plugins when this velad does not carry them.
const runtimeHint = "this velad was built without runc and the CNI plugins (`make build` carries them); " +
	"build it so, or install them on the host (Debian: apt-get install runc containernetworking-plugins)"

// CheckHost returns what keeps this host from running a real node, or "" when nothing does.
func CheckHost() string {
	if runtime.GOOS != "linux" {
		return "containers need Linux, this is " + runtime.GOOS
	}
	if os.Geteuid() != 0 {
		return "a real node needs root (run velad with sudo)"
	}
	if !cgroupsMounted() {
		return "no cgroup file system under /sys/fs/cgroup"
	}
	if _, err := exec.LookPath("iptables"); err != nil {
		return "missing iptables: " + installHint
	}
	if missing := missingHostRuntime(); len(missing) > 0 && !bundled.Available() {
		return "missing " + strings.Join(missing, ", ") + ": " + runtimeHint
	}
	return ""
}

// missingHostRuntime lists which of runc and the CNI plugins the host lacks.
func missingHostRuntime() []string {
	var missing []string
	if _, err := exec.LookPath("runc"); err != nil {
		missing = append(missing, "runc")
	}
	for _, p := range cniPlugins {
		if CNIPlugin(p) == "" {
			missing = append(missing, "CNI plugin "+p)
		}
	}
	return missing
}

// Runtime is where a node's runc and CNI plugins are.
type Runtime struct {
	// Runc is the runc binary containerd's shim runs.
	Runc string
	// CNIDirs are the directories containerd looks up the CNI plugins in.
	CNIDirs []string
	// Shim is the runc shim containerd starts per pod (runtime_path), or "" for velad's own
	// shim found on containerd's PATH (the wrapper in the node's bin directory).
	Shim string
	// From says where they come from, for the log: the velad binary or the host.
	From string
}

// ResolveRuntime extracts the runc and CNI plugins this velad carries into the node's bin
// directory; a velad built without them uses the host's (hack/build-runtime.sh).
func ResolveRuntime(p Paths) (Runtime, error) {
	if bundled.Available() {
		dir, err := bundled.Extract(p.BinDir())
		if err != nil {
			return Runtime{}, err
		}
		return Runtime{Runc: filepath.Join(dir, "runc"), Shim: filepath.Join(dir, bundled.Shim), CNIDirs: []string{dir}, From: "velad (" + bundled.Version() + ")"}, nil
	}
	if missing := missingHostRuntime(); len(missing) > 0 {
		return Runtime{}, fmt.Errorf("missing %s: %s", strings.Join(missing, ", "), runtimeHint)
	}
	runc, _ := exec.LookPath("runc")
	return Runtime{Runc: runc, CNIDirs: CNIBinDirs, From: "host"}, nil
}

// CNIPlugin returns the path of a CNI plugin binary, or "".
func CNIPlugin(name string) string {
	for _, d := range CNIBinDirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

// CgroupV2 reports whether the host uses the unified cgroup hierarchy.
func CgroupV2() bool {
	_, err := os.Stat("/sys/fs/cgroup/cgroup.controllers")
	return err == nil
}

// CgroupDriver is the cgroup driver of the node's kubelet and runc: "systemd" where the host
// runs the unified hierarchy (v2) under systemd — then systemd owns the cgroup tree, as kubeadm
// and k3s choose —, else "cgroupfs".
func CgroupDriver() string { return cgroupDriver(CgroupV2(), systemdBooted()) }

func cgroupDriver(v2, systemd bool) string {
	if v2 && systemd {
		return "systemd"
	}
	return "cgroupfs"
}

// systemdBooted reports whether systemd manages this host (sd_booted's test).
func systemdBooted() bool {
	_, err := os.Stat("/run/systemd/system")
	return err == nil
}

func cgroupsMounted() bool {
	if CgroupV2() {
		return true
	}
	_, err := os.Stat("/sys/fs/cgroup/memory")
	return err == nil
}
