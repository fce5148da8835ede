package main

import (
	"net"
	"syscall"
	"time"

	"velad.io/velad/pkg/proc"
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
		if proc.Alive(pid) {
			out = append(out, pid)
		}
	}
	return out
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
