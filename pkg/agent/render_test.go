package agent

import (
	"strings"
	"testing"
)

func TestContainerdConfigNamesTheCarriedShim(t *testing.T) {
	p := Paths{Dir: "/d/agent", RunDir: "/run/velad/x"}
	carried := renderContainerdConfig(p, Runtime{Runc: "/d/agent/bin/abc/runc", Shim: "/d/agent/bin/abc/containerd-shim-runc-v2", CNIDirs: []string{"/d/agent/bin/abc"}}, nil, "cgroupfs")
	want := "runtime_type = \"io.containerd.runc.v2\"\n      runtime_path = \"/d/agent/bin/abc/containerd-shim-runc-v2\"\n      [plugins"
	if !strings.Contains(carried, want) {
		t.Errorf("the runc runtime does not name the carried shim:\n%s", carried)
	}
	host := renderContainerdConfig(p, Runtime{Runc: "/usr/bin/runc", CNIDirs: CNIBinDirs}, nil, "cgroupfs")
	if strings.Contains(host, "runtime_path") {
		t.Errorf("without a carried shim containerd must find velad's wrapper on its PATH, got:\n%s", host)
	}
}

// The kubelet and runc use one cgroup driver: systemd's only on a unified hierarchy under
// systemd (as kubeadm and k3s choose), cgroupfs otherwise (this host: v1, no systemd).
func TestCgroupDriver(t *testing.T) {
	for _, tc := range []struct {
		v2, systemd bool
		want        string
	}{{false, false, "cgroupfs"}, {false, true, "cgroupfs"}, {true, false, "cgroupfs"}, {true, true, "systemd"}} {
		if got := cgroupDriver(tc.v2, tc.systemd); got != tc.want {
			t.Errorf("v2=%v systemd=%v: %s, want %s", tc.v2, tc.systemd, got, tc.want)
		}
	}
	p := Paths{Dir: "/d/agent", RunDir: "/run/velad/x"}
	rt := Runtime{Runc: "/usr/bin/runc", CNIDirs: CNIBinDirs}
	if c := renderContainerdConfig(p, rt, nil, "systemd"); !strings.Contains(c, "SystemdCgroup = true") {
		t.Errorf("systemd driver: runc does not use it:\n%s", c)
	}
	if c := renderContainerdConfig(p, rt, nil, "cgroupfs"); !strings.Contains(c, "SystemdCgroup = false") {
		t.Errorf("cgroupfs driver: runc uses systemd:\n%s", c)
	}
}
