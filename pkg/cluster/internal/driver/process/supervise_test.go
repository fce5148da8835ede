package process

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// This test binary links supervise.c, so `<test binary> supervise --data-dir D` runs the real
// C supervisor, which starts `<test binary> server --data-dir D`: TestMain plays that server.
func TestMain(m *testing.M) {
	if len(os.Args) == 4 && os.Args[1] == "server" {
		os.Exit(fakeServer(os.Args[3]))
	}
	os.Exit(m.Run())
}

// fakeServer records each start in <dir>/starts; with <dir>/crash-once present it removes
// it and dies (exit 3), otherwise it runs until SIGTERM and records "stopped".
func fakeServer(dir string) int {
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	appendLine(filepath.Join(dir, "starts"), "start")
	if os.Remove(filepath.Join(dir, "crash-once")) == nil {
		return 3
	}
	<-term
	appendLine(filepath.Join(dir, "starts"), "stopped")
	return 0
}

func appendLine(path, line string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err == nil {
		fmt.Fprintln(f, line)
		f.Close()
	}
}

func startSupervisor(t *testing.T, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"supervise"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestSuperviseRestartsACrashedServerAndStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{"config.yaml": "name: test\n", "crash-once": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	starts := func() string { b, _ := os.ReadFile(filepath.Join(dir, "starts")); return string(b) }
	sup, out := startSupervisor(t, "--data-dir", dir)
	defer sup.Process.Kill()
	waitFor(t, "the server's restart after its crash", func() bool { return strings.Count(starts(), "start\n") == 2 })
	if phase, _ := os.ReadFile(filepath.Join(dir, "run", "phase")); string(phase) != "starting\n" {
		t.Errorf("phase file = %q, want %q", phase, "starting\n")
	}
	if err := sup.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- sup.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("supervisor exited with %v after SIGTERM, want 0; output:\n%s", err, out)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("supervisor still running 20s after SIGTERM; output:\n%s", out)
	}
	if got := starts(); got != "start\nstart\nstopped\n" {
		t.Errorf("server runs = %q, want a crash, a restart and a clean stop", got)
	}
	if !strings.Contains(out.String(), `velad server exited; restarting err="exit status 3"`) {
		t.Errorf("supervisor log does not report the crash:\n%s", out)
	}
}

func TestSuperviseRefusesADataDirWithoutCluster(t *testing.T) {
	dir := t.TempDir()
	sup, out := startSupervisor(t, "--data-dir", dir)
	err := sup.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit = %v, want status 1", err)
	}
	if want := filepath.Join(dir, "config.yaml"); !strings.Contains(out.String(), want) || !strings.Contains(out.String(), "velad install") {
		t.Errorf("error should name %s and how to fix it, got:\n%s", want, out)
	}
}

func TestSuperviseRejectsBadArguments(t *testing.T) {
	for _, args := range [][]string{nil, {"--data-dir", "relative/dir"}, {"--data-dir"}, {"--bogus", "/x"}} {
		sup, out := startSupervisor(t, args...)
		err := sup.Wait()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(out.String(), "usage: velad supervise --data-dir") {
			t.Errorf("supervise %v: exit %v, output %q; want status 2 and the usage", args, err, out)
		}
	}
}

// `<test binary> pause` is the C pause of the built-in pause image: it runs until SIGTERM or
// SIGINT, then exits 0, and reaps the children it is left with.
func TestPauseRunsUntilTerminated(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		cmd := exec.Command(os.Args[0], "pause")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			t.Fatalf("pause exited before any signal: %v, output %q", err, out.String())
		case <-time.After(300 * time.Millisecond):
		}
		// SIGCHLD (as when a child of it exits) is reaped, not an exit.
		if err := cmd.Process.Signal(syscall.SIGCHLD); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil || out.Len() != 0 {
				t.Fatalf("after %v: %v, output %q; want exit 0 and no output", sig, err, out.String())
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("pause still running 10s after %v", sig)
		}
	}
}

func TestPauseRefusesArguments(t *testing.T) {
	out, err := exec.Command(os.Args[0], "pause", "now").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "takes no arguments") {
		t.Fatalf("pause with an argument: %v, %q; want exit 2 and a usage error", err, out)
	}
}
