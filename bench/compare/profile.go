package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// profileCommand boots a velad server with its pprof endpoint on (VELAD_PPROF_ADDR) and
// saves, into -out: a CPU profile of the boot, a heap profile after the idle time, a CPU
// profile of the ConfigMap and Deployment loads and a heap profile after them; then it writes
// a per-component breakdown of each (components.md).
func profileCommand(ctx context.Context, argv []string) error {
	o := options{}
	var bin, out string
	var only bool
	fs := flag.NewFlagSet("profile", flag.ContinueOnError)
	fs.StringVar(&bin, "velad", os.Getenv("VELAD_BINARY"), "the velad binary (default $VELAD_BINARY)")
	fs.StringVar(&out, "out", "bench/results/pprof", "directory for the profiles")
	fs.IntVar(&o.configMaps, "configmaps", 2000, "ConfigMaps to create and read")
	fs.IntVar(&o.workers, "workers", 16, "concurrent client-go callers")
	fs.IntVar(&o.deployments, "deployments", 200, "Deployments to create")
	fs.IntVar(&o.replicas, "replicas", 3, "replicas per Deployment")
	fs.DurationVar(&o.idle, "idle", 60*time.Second, "idle time after start before the heap profile")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "bound of every wait")
	fs.BoolVar(&only, "breakdown-only", false, "only rewrite components.md from the profiles in -out")
	if err := fs.Parse(argv); err != nil {
		return err
	}
	if only {
		return writeBreakdown(out)
	}
	if bin == "" {
		return fmt.Errorf("set -velad or VELAD_BINARY to the velad binary")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	home, err := os.MkdirTemp("", "bench-pprof-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(home)
	pprofAddr := "127.0.0.1:" + strconv.Itoa(freePort())
	srv, err := startProfiledServer(bin, home, pprofAddr)
	if err != nil {
		return err
	}
	defer stopServer(srv)
	t0 := time.Now()
	base := "http://" + pprofAddr + "/debug/pprof/"
	if err := until(ctx, 30*time.Second, "pprof endpoint", func() bool { return fetch(ctx, base, io.Discard) == nil }); err != nil {
		return err
	}
	bootCPU := background(func() error { return save(ctx, base+"profile?seconds=15", filepath.Join(out, "cpu-boot.pb.gz")) })
	cfg, err := clientFor(ctx, filepath.Join(home, "data", "kubeconfig", "admin.yaml"), o.timeout)
	if err != nil {
		return err
	}
	if err := waitDefaults(ctx, cfg, o.timeout); err != nil {
		return err
	}
	if err := <-bootCPU; err != nil {
		return err
	}
	if err := sleepUntil(ctx, t0.Add(o.idle)); err != nil {
		return err
	}
	if err := save(ctx, base+"heap?gc=1", filepath.Join(out, "heap-idle.pb.gz")); err != nil {
		return err
	}
	if err := saveMemory(srv.Process.Pid, filepath.Join(out, "memory-idle.txt")); err != nil {
		return err
	}
	loadCPU := background(func() error { return save(ctx, base+"profile?seconds=30", filepath.Join(out, "cpu-load.pb.gz")) })
	if _, _, err := configMapLoad(ctx, cfg, o.configMaps, o.workers); err != nil {
		return err
	}
	if err := waitNodeReady(ctx, cfg, o.timeout); err != nil {
		return err
	}
	if _, err := deploymentLoad(ctx, cfg, o.deployments, o.replicas, o.workers, o.timeout); err != nil {
		return err
	}
	if err := <-loadCPU; err != nil {
		return err
	}
	if err := save(ctx, base+"heap?gc=1", filepath.Join(out, "heap-loaded.pb.gz")); err != nil {
		return err
	}
	if err := saveMemory(srv.Process.Pid, filepath.Join(out, "memory-loaded.txt")); err != nil {
		return err
	}
	return writeBreakdown(out)
}

// startProfiledServer runs `velad server` in the foreground (no supervisor) on a fresh
// data dir under home, with the pprof endpoint on pprofAddr.
func startProfiledServer(bin, home, pprofAddr string) (*exec.Cmd, error) {
	dataDir := filepath.Join(home, "data")
	cmd := exec.Command(bin, "server", "--data-dir", dataDir, "--name", "prof", "--node", "simulated", "--bind-ip", "127.0.0.1", "--port", strconv.Itoa(freePort()))
	cmd.Env = append(os.Environ(), "VELAD_HOME="+home, "VELAD_PPROF_ADDR="+pprofAddr, "KUBECONFIG=")
	log, err := os.Create(filepath.Join(home, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd, cmd.Start()
}

// stopServer asks the server to stop and kills it after 20 s.
func stopServer(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// saveMemory copies the server's smaps_rollup: its RSS split into file-backed pages (the
// binary's touched code and data) and anonymous ones (Go heap, stacks, cgo).
func saveMemory(pid int, path string) error {
	rollup, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	if err != nil {
		return err
	}
	return os.WriteFile(path, rollup, 0o644)
}

func background(fn func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- fn() }()
	return ch
}

func save(ctx context.Context, url, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return fetch(ctx, url, f)
}

func fetch(ctx context.Context, url string, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	_, err = io.Copy(w, resp.Body)
	return err
}
