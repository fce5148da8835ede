package agent

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Cleanup removes what a real node leaves on the host outside its data dir, for uninstall:
// the pods' processes, containerd and its shims, mounts under the node's directories, the
// pods' cgroups, the bridge and the CNI/kube-proxy iptables rules. The server must be
// stopped. It does nothing when the cluster never ran a real node.
func Cleanup(p Paths) error {
	if _, err := os.Stat(p.Dir); errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(p.RunDir); errors.Is(err, os.ErrNotExist) {
			return nil
		}
	}
	var errs []error
	if CgroupDriver() == "systemd" {
		// systemd owns the pods' slices: stopping them kills their processes and removes them.
		_ = exec.Command("systemctl", "stop", "kubepods.slice").Run()
	}
	killPodProcesses()
	killMatching(func(cmdline string) bool {
		return strings.Contains(cmdline, p.ContainerdSocket()) || strings.Contains(cmdline, p.ContainerdConfig())
	})
	if err := unmountUnder(p.Dir, p.RunDir); err != nil {
		errs = append(errs, err)
	}
	removePodCgroups()
	if err := exec.Command("ip", "link", "delete", BridgeName).Run(); err == nil {
		// deleted; an error means there was none
	}
	// kube-proxy's and the kubelet's rules are shared by every node on the host: they stay
	// while another real node (velad's, or any kubelet) runs.
	if err := removeIPTablesRules(otherRealNode(filepath.Dir(p.RunDir), p.RunDir) == ""); err != nil {
		errs = append(errs, err)
	}
	if err := os.RemoveAll(p.RunDir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// podCgroupRoots are the kubelet's pod cgroup trees: cgroupfs driver on v1 and v2, and the
// systemd driver's slice on v2.
func podCgroupRoots() []string {
	if CgroupV2() {
		return []string{"/sys/fs/cgroup/kubepods", "/sys/fs/cgroup/kubepods.slice"}
	}
	entries, _ := os.ReadDir("/sys/fs/cgroup")
	var roots []string
	for _, e := range entries {
		root := filepath.Join("/sys/fs/cgroup", e.Name(), "kubepods")
		if st, err := os.Stat(root); err == nil && st.IsDir() {
			roots = append(roots, root)
		}
	}
	return roots
}

// killPodProcesses SIGKILLs every process in the pods' cgroups.
func killPodProcesses() {
	for attempt := 0; attempt < 20; attempt++ {
		found := false
		for _, root := range podCgroupRoots() {
			_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
					return nil
				}
				data, _ := os.ReadFile(path)
				for _, f := range strings.Fields(string(data)) {
					if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
						found = true
						_ = syscall.Kill(pid, syscall.SIGKILL)
					}
				}
				return nil
			})
		}
		if !found {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// killMatching SIGKILLs the processes whose command line matches, and waits for them.
func killMatching(match func(cmdline string) bool) {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if match(strings.ReplaceAll(string(data), "\x00", " ")) {
			pids = append(pids, pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	for _, pid := range pids {
		for i := 0; i < 50; i++ {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// unmountUnder detaches every mount below the given directories, deepest first.
func unmountUnder(dirs ...string) error {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	var points []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMount(fields[4])
		for _, d := range dirs {
			if mp == d || strings.HasPrefix(mp, d+"/") {
				points = append(points, mp)
			}
		}
	}
	sort.Slice(points, func(i, j int) bool { return len(points[i]) > len(points[j]) })
	var errs []error
	for _, mp := range points {
		if err := syscall.Unmount(mp, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", mp, err))
		}
	}
	return errors.Join(errs...)
}

// unescapeMount decodes the octal escapes (\040 for a space) of /proc/self/mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// removePodCgroups removes the (now empty) pod cgroup trees.
func removePodCgroups() {
	for _, root := range podCgroupRoots() {
		RemoveCgroupTree(root)
	}
}

// RemoveCgroupTree removes the cgroup root and the cgroups below it, deepest first; one that
// still holds a process stays (and so do those above it).
func RemoveCgroupTree(root string) {
	var dirs []string
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, path)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = syscall.Rmdir(dirs[i])
	}
}

// removeIPTablesRules drops the iptables rules of the node: those the CNI plugins made for
// velad's network (see scopeRules), and kube-proxy's and the kubelet's KUBE-* chains when
// kubeToo (no other kubelet or kube-proxy runs on the host). Every other rule stays.
func removeIPTablesRules(kubeToo bool) error {
	for _, tool := range []string{"iptables", "ip6tables"} {
		if _, err := exec.LookPath(tool + "-save"); err != nil {
			continue
		}
		saved, err := exec.Command(tool + "-save").Output()
		if err != nil {
			continue
		}
		kept, changed := scopeRules(string(saved), CNINetworkName, kubeToo)
		if !changed {
			continue
		}
		restore := exec.Command(tool + "-restore")
		restore.Stdin = strings.NewReader(kept)
		if out, err := restore.CombinedOutput(); err != nil {
			return fmt.Errorf("%s-restore: %v: %s", tool, err, out)
		}
	}
	return nil
}

// sharedPortmapChains are the chains the portmap plugin shares between all CNI networks.
var sharedPortmapChains = []string{"CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-SNAT", "CNI-HOSTPORT-MASQ", "CNI-HOSTPORT-SETMARK"}

// scopeRules removes from an iptables-save dump the rules of CNI network `network` (they
// carry the comment `name: "<network>"`) and the CNI-* chains only they used; the portmap
// plugin's shared chains when no other network's port mapping (CNI-DN-*) is left; and, when
// kube, every KUBE-* chain and rule. It returns the dump to restore and whether it changed.
func scopeRules(saved, network string, kube bool) (string, bool) {
	marker := `name: \"` + network + `\"`
	type rule struct{ chain, target, line string }
	var tables [][]string
	var cur []string
	for _, l := range strings.Split(strings.TrimSuffix(saved, "\n"), "\n") {
		cur = append(cur, l)
		if l == "COMMIT" {
			tables = append(tables, cur)
			cur = nil
		}
	}
	tables = append(tables, cur) // what follows the last COMMIT (comments)
	var out bytes.Buffer
	changed := false
	for _, t := range tables {
		var rules []rule
		chainRules := map[string][]int{}
		for _, l := range t {
			if strings.HasPrefix(l, "-A ") {
				f := strings.Fields(l)
				r := rule{chain: f[1], line: l}
				for j := 0; j+1 < len(f); j++ {
					if f[j] == "-j" || f[j] == "-g" {
						r.target = f[j+1]
					}
				}
				rules = append(rules, r)
				chainRules[r.chain] = append(chainRules[r.chain], len(rules)-1)
			}
		}
		for _, l := range t {
			if name := strings.Fields(strings.TrimPrefix(l, ":")); strings.HasPrefix(l, ":") && len(name) > 0 {
				if _, ok := chainRules[name[0]]; !ok {
					chainRules[name[0]] = nil // declared, no rules
				}
			}
		}
		drop := make([]bool, len(rules))
		dropChain := map[string]bool{}
		for i, r := range rules {
			if strings.Contains(r.line, marker) || (kube && (strings.HasPrefix(r.chain, "KUBE-") || strings.HasPrefix(r.target, "KUBE-"))) {
				drop[i] = true
			}
		}
		if kube {
			for c := range chainRules {
				if strings.HasPrefix(c, "KUBE-") {
					dropChain[c] = true
				}
			}
		}
		// A CNI-* chain goes when all its rules go; a rule jumping to a chain that goes, goes.
		for again := true; again; {
			again = false
			for c, idx := range chainRules {
				if dropChain[c] || !strings.HasPrefix(c, "CNI-") || slices.Contains(sharedPortmapChains, c) || len(idx) == 0 {
					continue
				}
				all := true
				for _, i := range idx {
					all = all && drop[i]
				}
				if all {
					dropChain[c], again = true, true
				}
			}
			for i, r := range rules {
				if !drop[i] && dropChain[r.target] {
					drop[i], again = true, true
				}
			}
		}
		// The portmap plugin's shared chains go once no network's DNAT chain is left.
		otherDN := false
		for c := range chainRules {
			if strings.HasPrefix(c, "CNI-DN-") && !dropChain[c] {
				otherDN = true
			}
		}
		if !otherDN {
			for _, c := range sharedPortmapChains {
				if _, ok := chainRules[c]; ok {
					dropChain[c] = true
				}
			}
			for i, r := range rules {
				if dropChain[r.chain] || dropChain[r.target] {
					drop[i] = true
				}
			}
		}
		ri := 0
		for _, l := range t {
			switch {
			case strings.HasPrefix(l, "-A "):
				if drop[ri] {
					changed = true
					ri++
					continue
				}
				ri++
			case strings.HasPrefix(l, ":"):
				if name := strings.Fields(l[1:]); len(name) > 0 && dropChain[name[0]] {
					changed = true
					continue
				}
			}
			out.WriteString(l + "\n")
		}
	}
	return out.String(), changed
}
