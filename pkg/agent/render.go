package agent

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"velad.io/velad/pkg/agent/images"
)

// BridgeName is the Linux bridge the node's pods attach to.
const BridgeName = "velad0"

// CNINetworkName names the node's CNI network (and tags its iptables rules).
const CNINetworkName = "velad"

// PauseImage is the sandbox image; velad generates it (see the images package).
const PauseImage = images.Pause

// renderContainerdConfig returns containerd's config.toml for the node; reg (may be nil)
// adds registry credentials; driver is the cgroup driver (see CgroupDriver).
func renderContainerdConfig(p Paths, rt Runtime, reg *Registries, driver string) string {
	q := strconv.Quote
	var b strings.Builder
	fmt.Fprintf(&b, `# Written by velad on every start: edits are lost.
version = 3
root = %s
state = %s
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.nri.v1.nri"]

[grpc]
  address = %s

[plugins."io.containerd.cri.v1.runtime"]
  # No CAP_SYS_RESOURCE in many sandboxes: never lower a container's OOM score below ours.
  restrict_oom_score_adj = true
  enable_selinux = false
  disable_apparmor = true
  tolerate_missing_hugetlb_controller = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"%s
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = %s
        SystemdCgroup = %t
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = [%s]
    conf_dir = %s
    conf_template = %s

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = %s
  [plugins."io.containerd.cri.v1.images".registry]
    config_path = %s
%s
[plugins."io.containerd.grpc.v1.cri"]
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
`, q(p.ContainerdRoot()), q(p.ContainerdState()), q(p.ContainerdSocket()), runtimePath(rt), q(rt.Runc), driver == "systemd",
		quoteList(rt.CNIDirs), q(p.CNIConfDir()), q(p.CNITemplate()), q(PauseImage), q(p.RegistryHostsDir()), reg.CRIAuth())
	return b.String()
}

// runtimePath is the runc runtime's runtime_path line naming the carried shim, or "" (velad's
// own shim wrapper, found on containerd's PATH).
func runtimePath(rt Runtime) string {
	if rt.Shim == "" {
		return ""
	}
	return "\n      runtime_path = " + strconv.Quote(rt.Shim)
}

func quoteList(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = strconv.Quote(s)
	}
	return strings.Join(out, ", ")
}

// renderCNITemplate returns the CNI config list template: a bridge with host-local IPAM on
// the node's pod CIDR (containerd fills {{.PodCIDR}} once the kubelet knows it), masquerade
// for traffic leaving the pod network, and port mapping for hostPort.
func renderCNITemplate(p Paths) (string, error) {
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       CNINetworkName,
		"plugins": []any{
			map[string]any{
				"type":        "bridge",
				"bridge":      BridgeName,
				"isGateway":   true,
				"ipMasq":      true,
				"hairpinMode": true,
				"ipam": map[string]any{
					"type":    "host-local",
					"dataDir": p.IPAMDir(),
					"ranges":  []any{[]any{map[string]any{"subnet": "{{.PodCIDR}}"}}},
					"routes":  []any{map[string]any{"dst": "0.0.0.0/0"}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]any{"portMappings": true}},
		},
	}
	data, err := json.MarshalIndent(conf, "", "  ")
	return string(data), err
}

// writeConfigs writes containerd's config and registry hosts, the CNI template and the
// shim wrapper.
func writeConfigs(p Paths, velad string, rt Runtime, reg *Registries) error {
	if err := writeHostsDir(p.RegistryHostsDir(), reg); err != nil {
		return fmt.Errorf("writing registry hosts in %s: %w", p.RegistryHostsDir(), err)
	}
	tmpl, err := renderCNITemplate(p)
	if err != nil {
		return err
	}
	files := []struct {
		path string
		data string
		mode os.FileMode
	}{
		{p.ContainerdConfig(), renderContainerdConfig(p, rt, reg, CgroupDriver()), 0o600},
		{p.CNITemplate(), tmpl, 0o600},
		{filepath.Join(p.BinDir(), shimName), shimWrapper(velad), 0o755},
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
			return fmt.Errorf("creating %s: %w", filepath.Dir(f.path), err)
		}
		if err := os.WriteFile(f.path, []byte(f.data), f.mode); err != nil {
			return fmt.Errorf("writing %s: %w", f.path, err)
		}
	}
	for _, d := range []string{p.CNIConfDir(), p.IPAMDir(), p.KubeletRoot(), p.PodLogDir(), p.RunDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("creating %s: %w", d, err)
		}
	}
	return nil
}

// MultiCallEnv names the environment variable that turns a velad process into the runc shim
// (see package containerd). It survives the shim's re-execution of itself.
const MultiCallEnv = "VELAD_MULTICALL"

// ShimName is the shim binary name containerd looks up for the io.containerd.runc.v2 runtime.
const ShimName = "containerd-shim-runc-v2"

const shimName = ShimName

// shimWrapper is the script installed as containerd-shim-runc-v2 that starts velad as the shim.
func shimWrapper(velad string) string {
	return fmt.Sprintf("#!/bin/sh\n%s=%s exec %s \"$@\"\n", MultiCallEnv, ShimName, strconv.Quote(velad))
}
