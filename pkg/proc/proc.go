// Package proc finds and measures processes through Linux's /proc: which processes serve a
// cluster's data dir, whether a pid is still alive, and their memory. It is shared by the
// process driver, the e2e tests and the benchmarks, and imports nothing from velad.
package proc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Alive reports whether pid exists and is not a zombie (a zombie has exited; only its parent
// can reap it).
func Alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(stat)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:] // the command name may hold spaces
	}
	f := strings.Fields(s)
	return len(f) > 0 && f[0] != "Z"
}

// WithArg lists the live processes (other than this one) that have arg as one of their
// command-line arguments.
func WithArg(arg string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if HasArg(pid, arg) && Alive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// HasArg reports whether arg is one of pid's command-line arguments.
func HasArg(pid int, arg string) bool {
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return false
	}
	for _, a := range bytes.Split(bytes.TrimRight(cmdline, "\x00"), []byte{0}) {
		if string(a) == arg {
			return true
		}
	}
	return false
}

// RSSMB sums the resident set size of pids in MB.
func RSSMB(pids []int) float64 { return sumField(pids, "status", "VmRSS:") }

// PeakRSSMB sums the peak resident set size (VmHWM) of pids in MB.
func PeakRSSMB(pids []int) float64 { return sumField(pids, "status", "VmHWM:") }

// PSSMB sums the proportional set size of pids in MB (each shared page split among its users).
func PSSMB(pids []int) float64 { return sumField(pids, "smaps_rollup", "Pss:") }

func sumField(pids []int, file, field string) float64 {
	var total float64
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, file))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
				kb, _ := strconv.ParseFloat(f[1], 64)
				total += kb / 1024
			}
		}
	}
	return total
}
