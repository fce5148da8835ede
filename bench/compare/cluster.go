package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cluster is one control plane under test, living in its own temp directory.
type cluster interface {
	// Kind names the side of the comparison: "baseline" or "velad".
	Kind() string
	// Start launches the control plane (cold, or again after Kill) and returns without
	// waiting for readiness; wait blocks until the launcher itself is done (velad's
	// install/start command) and returns when it finished (zero where there is none).
	Start() (wait func() (time.Time, error), err error)
	// Kubeconfig is the admin kubeconfig; it may appear only a moment after Start.
	Kubeconfig() string
	// PIDs lists every process of the control plane.
	PIDs() []int
	// Kill sends SIGKILL to every process and waits until they are gone.
	Kill()
	// Close stops the control plane and removes its files.
	Close()
}

// killAll sends SIGKILL to pids and waits (at most 10 s) until none is left.
func killAll(pids func() []int) {
	for _, pid := range pids() {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for deadline := time.Now().Add(10 * time.Second); len(pids()) > 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
}

// alive keeps the pids that still run (not zombies).
func alive(pids []int) []int {
	var out []int
	for _, pid := range pids {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		if f := strings.Fields(string(stat)); len(f) > 2 && f[2] == "Z" {
			continue
		}
		out = append(out, pid)
	}
	return out
}

// pidsWithArg lists the live processes whose command line contains arg as a whole argument,
// or ends with it.
func pidsWithArg(arg string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.Contains(cmdline, []byte(arg+"\x00")) && !bytes.HasSuffix(cmdline, []byte(arg)) {
			continue
		}
		out = append(out, pid)
	}
	return alive(out)
}

// rssMB sums the resident memory of pids in MB (VmRSS: pages shared between processes, such
// as velad's supervisor and server mapping the same binary, count in each).
func rssMB(pids []int) float64 { return sumField(pids, "status", "VmRSS:") }

// pssMB sums the proportional set size of pids in MB (each shared page split among its users).
func pssMB(pids []int) float64 { return sumField(pids, "smaps_rollup", "Pss:") }

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

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
