package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"velad.io/velad/pkg/proc"
)

// veladCluster is a velad cluster driven through its CLI in a private VELAD_HOME: install
// starts the detached supervisor and server, start restarts them after a kill.
type veladCluster struct {
	bin, home, name string
	port            int
	memberOnly      bool
}

func newVelad(bin, name string, clusterOnly bool) (*veladCluster, error) {
	home, err := os.MkdirTemp("", "bench-velad-")
	if err != nil {
		return nil, err
	}
	return &veladCluster{bin: bin, home: home, name: name, port: freePort(), memberOnly: clusterOnly}, nil
}

func (v *veladCluster) Kind() string    { return "velad" }
func (v *veladCluster) dataDir() string { return filepath.Join(v.home, v.name) }
func (v *veladCluster) Kubeconfig() string {
	return filepath.Join(v.dataDir(), "kubeconfig", "admin.yaml")
}
func (v *veladCluster) PIDs() []int { return proc.WithArg(v.dataDir()) }
func (v *veladCluster) Kill()       { killAll(v.PIDs) }

// Start runs `velad install` the first time and `velad start` afterwards, in the background.
func (v *veladCluster) Start() (func() (time.Time, error), error) {
	args := []string{"start", "--name", v.name}
	if _, err := os.Stat(v.dataDir()); os.IsNotExist(err) {
		args = []string{"install", "--name", v.name, "--node", "simulated", "--bind-ip", "127.0.0.1", "--port", strconv.Itoa(v.port)}
		if v.memberOnly {
			args = append(args, "--cluster-only")
		}
	}
	cmd := v.command(args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	type exit struct {
		at  time.Time
		err error
	}
	done := make(chan exit, 1)
	go func() { err := cmd.Wait(); done <- exit{time.Now(), err} }()
	return func() (time.Time, error) {
		e := <-done
		if e.err != nil {
			return e.at, fmt.Errorf("velad %s: %v\n%s", args[0], e.err, out.String())
		}
		return e.at, nil
	}, nil
}

// Close uninstalls the cluster (bounded to a minute) and removes the home.
func (v *veladCluster) Close() {
	cmd := v.command("uninstall", "--name", v.name)
	_ = cmd.Start()
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
	}
	v.Kill()
	_ = os.RemoveAll(v.home)
}

func (v *veladCluster) command(args ...string) *exec.Cmd {
	cmd := exec.Command(v.bin, args...)
	cmd.Env = append(os.Environ(), "VELAD_HOME="+v.home, "KUBECONFIG=")
	return cmd
}
