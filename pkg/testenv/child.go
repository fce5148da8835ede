package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"velad.io/velad/pkg/server"
	"velad.io/velad/pkg/server/component"
	"velad.io/velad/pkg/server/config"
)

// Environment variables by which StartChild asks the re-executed test binary to be a server.
const (
	childDirEnv  = "VELAD_TESTENV_CHILD_DIR"
	childPortEnv = "VELAD_TESTENV_CHILD_PORT"
)

// RunChildIfRequested makes a test binary re-executed by StartChild run a bare cluster (no
// controllers, like `velad install --cluster-only`) until SIGTERM, then exit. Call it first in
// TestMain; in the parent it returns at once.
func RunChildIfRequested() {
	dir := os.Getenv(childDirEnv)
	if dir == "" {
		return
	}
	port, _ := strconv.Atoi(os.Getenv(childPortEnv))
	cfg := config.New("child", dir)
	cfg.APIServer.BindIP, cfg.APIServer.Port = "127.0.0.1", port
	cfg.Node.Mode = config.NodeSimulated
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := server.New(cfg, component.Embedded{}).Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// Child is a second control plane in a child process (this test binary re-executed), for
// tests that need another cluster or a process to kill: one process holds one control plane.
type Child struct {
	// Cluster is the child's configuration (AdminKubeconfig is its admin kubeconfig).
	Cluster *config.Config

	cmd *exec.Cmd
}

// StartChild boots a bare cluster on dir and port in a child process and returns once it is
// ready (at most 2 minutes). Its log is <dir>/child.log.
func StartChild(dir string, port int) (*Child, error) {
	cfg := config.New("child", dir)
	_ = os.Remove(cfg.PhaseFile()) // a killed run's phase is stale
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childDirEnv+"="+dir, childPortEnv+"="+strconv.Itoa(port))
	log, err := os.OpenFile(filepath.Join(dir, "child.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &Child{Cluster: cfg, cmd: cmd}
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if p, detail, err := server.ReadPhase(cfg.PhaseFile()); err == nil {
			switch p {
			case server.PhaseReady:
				return c, nil
			case server.PhaseFailed:
				c.Kill()
				return nil, fmt.Errorf("child control plane failed: %s", detail)
			}
		}
	}
	c.Kill()
	return nil, fmt.Errorf("child control plane not ready after 2 minutes (log: %s)", filepath.Join(dir, "child.log"))
}

// Kill stops the child with SIGKILL (a crash) and waits for it.
func (c *Child) Kill() {
	if c.cmd.ProcessState == nil {
		_ = c.cmd.Process.Kill()
		_ = c.cmd.Wait()
	}
}

// Stop asks the child to stop (SIGTERM), killing it after 20 s; stopping twice is fine.
func (c *Child) Stop() {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
	}
}
