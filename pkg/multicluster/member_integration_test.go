package multicluster_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"velad.io/velad/pkg/server"
	"velad.io/velad/pkg/server/component"
	"velad.io/velad/pkg/server/config"
	"velad.io/velad/pkg/testenv"
)

// The hub is this process's testenv; a member is this test binary re-executed as a server
// with no controllers (what velad install --cluster-only runs).
const (
	memberDirEnv  = "VELAD_TEST_MEMBER_DIR"
	memberPortEnv = "VELAD_TEST_MEMBER_PORT"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	if os.Getenv(memberDirEnv) != "" {
		runMember()
		return
	}
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	os.Exit(testenv.Run(m, &env))
}

func runMember() {
	port, _ := strconv.Atoi(os.Getenv(memberPortEnv))
	cfg := config.New("member", os.Getenv(memberDirEnv))
	cfg.APIServer.BindIP, cfg.APIServer.Port = "127.0.0.1", port
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	if err := server.New(cfg, component.Embedded{}).Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// member is a member cluster running in a child process.
type member struct {
	cmd *exec.Cmd
	cfg *config.Config
}

// startMember boots a member cluster and returns once it is ready; it is stopped at cleanup.
func startMember(t *testing.T) *member {
	t.Helper()
	dir := t.TempDir()
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), memberDirEnv+"="+dir, memberPortEnv+"="+strconv.Itoa(port))
	log, err := os.Create(dir + "/member.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	m := &member{cmd: cmd, cfg: config.New("member", dir)}
	t.Cleanup(m.stop)
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if p, detail, err := server.ReadPhase(m.cfg.PhaseFile()); err == nil {
			switch p {
			case server.PhaseReady:
				return m
			case server.PhaseFailed:
				t.Fatalf("member failed to start: %s", detail)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("member not ready after 2 minutes (log: %s/member.log)", dir)
	return nil
}

// stop terminates the member and waits for it to exit.
func (m *member) stop() {
	if m.cmd.ProcessState != nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = m.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = m.cmd.Process.Kill()
		<-done
	}
}
