package agent

import (
	"strings"
	"testing"
)

func TestContainerdConfigNamesTheCarriedShim(t *testing.T) {
	p := Paths{Dir: "/d/agent", RunDir: "/run/velad/x"}
	carried := renderContainerdConfig(p, Runtime{Runc: "/d/agent/bin/abc/runc", Shim: "/d/agent/bin/abc/containerd-shim-runc-v2", CNIDirs: []string{"/d/agent/bin/abc"}}, nil)
	want := "runtime_type = \"io.containerd.runc.v2\"\n      runtime_path = \"/d/agent/bin/abc/containerd-shim-runc-v2\"\n      [plugins"
	if !strings.Contains(carried, want) {
		t.Errorf("the runc runtime does not name the carried shim:\n%s", carried)
	}
	host := renderContainerdConfig(p, Runtime{Runc: "/usr/bin/runc", CNIDirs: CNIBinDirs}, nil)
	if strings.Contains(host, "runtime_path") {
		t.Errorf("without a carried shim containerd must find velad's wrapper on its PATH, got:\n%s", host)
	}
}
