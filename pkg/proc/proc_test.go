package proc

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestFindsAndMeasuresAChild(t *testing.T) {
	marker := t.TempDir()
	// sh keeps running (the trailing "true" stops it exec'ing sleep) with marker as its $0;
	// "sleep 30 marker" would not do: GNU sleep rejects the extra operand and exits at once.
	cmd := exec.Command("sh", "-c", "sleep 30; true", marker)
	if err := cmd.Start(); err != nil {
		t.Fatal("start sh:", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	// The child's /proc entry can lag its start under load (CI flaked once): look again a while.
	var pids []int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if pids = WithArg(marker); len(pids) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(pids) != 1 || pids[0] != cmd.Process.Pid {
		t.Fatalf("WithArg = %v, want [%d]", pids, cmd.Process.Pid)
	}
	if len(WithArg(marker[:len(marker)-1])) != 0 {
		t.Fatal("WithArg matched a prefix of an argument")
	}
	if !Alive(cmd.Process.Pid) || RSSMB(pids) <= 0 {
		t.Fatalf("alive=%v rss=%v", Alive(cmd.Process.Pid), RSSMB(pids))
	}
	_ = cmd.Process.Kill()
	_, _ = cmd.Process.Wait()
	if Alive(cmd.Process.Pid) {
		t.Fatal("a reaped process counts as alive")
	}
	if Alive(os.Getpid()) != true {
		t.Fatal("this process is not alive")
	}
}

func TestZombieIsNotAlive(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal("start true:", err)
	}
	pid := cmd.Process.Pid
	for i := 0; i < 200 && Alive(pid); i++ { // exited but not yet reaped: a zombie
		exec.Command("sleep", "0.01").Run()
	}
	if Alive(pid) {
		t.Fatal("an exited, unreaped child counts as alive")
	}
	_ = cmd.Wait()
}
