package agent

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
	if err := removeIPTablesRules(); err != nil {
		errs = append(errs, err)
	}
	if err := os.RemoveAll(p.RunDir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// podCgroupRoots are the kubelet's pod cgroup trees (cgroupfs driver), v1 and v2.
func podCgroupRoots() []string {
	if CgroupV2() {
		return []string{"/sys/fs/cgroup/kubepods"}
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

// removePodCgroups removes the (now empty) pod cgroup trees, deepest first.
func removePodCgroups() {
	for _, root := range podCgroupRoots() {
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
}

// removeIPTablesRules drops the chains and rules of the CNI plugins and kube-proxy (CNI-*,
// KUBE-*), as k3s's uninstall does, keeping every other rule of the host.
func removeIPTablesRules() error {
	for _, tool := range []string{"iptables", "ip6tables"} {
		if _, err := exec.LookPath(tool + "-save"); err != nil {
			continue
		}
		saved, err := exec.Command(tool + "-save").Output()
		if err != nil {
			continue
		}
		var kept bytes.Buffer
		changed := false
		for _, line := range strings.Split(string(saved), "\n") {
			if strings.Contains(line, "CNI-") || strings.Contains(line, "KUBE-") {
				changed = true
				continue
			}
			kept.WriteString(line + "\n")
		}
		if !changed {
			continue
		}
		restore := exec.Command(tool + "-restore")
		restore.Stdin = &kept
		if out, err := restore.CombinedOutput(); err != nil {
			return fmt.Errorf("%s-restore: %v: %s", tool, err, out)
		}
	}
	return nil
}
