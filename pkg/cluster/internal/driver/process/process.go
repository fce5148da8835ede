// Package process runs a cluster's server as a detached, supervised background process: a
// `velad supervise` process (new session, log file in the data dir, pid file) that runs
// `velad server` and restarts it if it dies.
package process

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"velad.io/velad/pkg/cluster/internal/driver"
	"velad.io/velad/pkg/proc"
	"velad.io/velad/pkg/server/config"
)

const stopTimeout = 20 * time.Second

// Driver is the process driver.
type Driver struct{}

var _ driver.Driver = Driver{}

// Name implements driver.Driver.
func (Driver) Name() string { return "process" }

// Start implements driver.Driver.
func (Driver) Start(cfg *config.Config, exe string) error {
	if err := os.MkdirAll(filepath.Dir(cfg.LogFile()), 0o700); err != nil {
		return fmt.Errorf("creating log dir: %w", err)
	}
	if err := os.MkdirAll(cfg.RunDir(), 0o700); err != nil {
		return fmt.Errorf("creating run dir: %w", err)
	}
	logFile, err := os.OpenFile(cfg.LogFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("opening log file %s: %w", cfg.LogFile(), err)
	}
	defer logFile.Close()
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return err
	}
	defer devnull.Close()
	args := superviseCommand(exe, cfg.DataDir)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = devnull, logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Env = os.Environ()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting velad supervise: %w", err)
	}
	pid := cmd.Process.Pid
	if err := os.WriteFile(cfg.PIDFile(), []byte(strconv.Itoa(pid)+"\n"), 0o600); err != nil {
		_ = cmd.Process.Kill()
		return fmt.Errorf("writing pid file: %w", err)
	}
	go func() { _ = cmd.Wait() }() // reap if it exits while we are still around
	return cmd.Process.Release()
}

// Stop implements driver.Driver.
func (d Driver) Stop(cfg *config.Config) error {
	pid, running := d.Running(cfg)
	if !running {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stopping pid %d: %w", pid, err)
	}
	if waitGone(pid, stopTimeout) {
		_ = os.Remove(cfg.PIDFile())
		return nil
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL) // the whole session: supervisor and server
	waitGone(pid, 5*time.Second)
	_ = os.Remove(cfg.PIDFile())
	return nil
}

// Running implements driver.Driver.
func (Driver) Running(cfg *config.Config) (int, bool) {
	data, err := os.ReadFile(cfg.PIDFile())
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, Alive(pid, cfg.DataDir)
}

// Remove implements driver.Driver.
func (Driver) Remove(cfg *config.Config) error {
	err := os.Remove(cfg.PIDFile())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Alive reports whether pid is a live velad process serving dataDir (guards against pid reuse).
func Alive(pid int, dataDir string) bool { return proc.Alive(pid) && proc.HasArg(pid, dataDir) }

func waitGone(pid int, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if !proc.Alive(pid) {
			return true
		}
	}
	return false
}
