// Command apps benchmarks delivery: it runs `velad server --node simulated` in the foreground (with the
// controller's /metrics on loopback), creates N webservice Applications with two traits each
// through client-go, and measures the time until all are running, apps/s, reconcile p50/p99
// from the controller's histogram, and the server's RSS and CPU time. Output: a Markdown table
// on stdout and JSON at -json; the apiserver requests of the run per verb and resource (from
// apiserver_request_total) on stderr. With -direct it applies, instead of each Application, the
// Deployment and Service velad renders for it and waits until every Deployment is ready: the
// Kubernetes-only part of the same delivery, on the same server, for comparison.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"velad.io/velad/bench/internal/binary"
	"velad.io/velad/pkg/proc"
)

var appsGVR = schema.GroupVersionResource{Group: "core.oam.dev", Version: "v1beta1", Resource: "applications"}

type figures struct {
	Apps         int     `json:"apps"`
	Seconds      float64 `json:"secondsToAllRunning"`
	AppsPerSec   float64 `json:"appsPerSecond"`
	ReconcileP50 float64 `json:"reconcileP50Seconds"`
	ReconcileP99 float64 `json:"reconcileP99Seconds"`
	Reconciles   float64 `json:"reconciles"`
	RSSMB        float64 `json:"serverRSSMB"`
	PeakRSSMB    float64 `json:"serverPeakRSSMB"`
	CPUSeconds   float64 `json:"serverCPUSeconds"`
	// IdleSeconds, IdleCPUSeconds: the window after all were running (-idle) and the
	// server's CPU time in it.
	IdleSeconds    float64 `json:"idleSeconds,omitempty"`
	IdleCPUSeconds float64 `json:"idleCPUSeconds,omitempty"`
}

func main() {
	bin := flag.String("velad", os.Getenv("VELAD_BINARY"), "velad binary")
	n := flag.Int("apps", 1000, "Applications to create")
	timeout := flag.Duration("timeout", 15*time.Minute, "give up after this long")
	jsonOut := flag.String("json", "", "write the figures as JSON here")
	extra := flag.String("server-flags", "", "more `velad server` flags, space-separated (e.g. \"--concurrent-reconciles 8\")")
	idle := flag.Duration("idle", 0, "after all are running, also measure the server's CPU and requests over this long (re-syncs: set --resync-period in -server-flags)")
	hist := flag.String("histogram", histogram, "the reconcile histogram p50/p99 are read from (controller_runtime_reconcile_time_seconds: buckets that do not change with velad's)")
	direct := flag.Bool("direct", false, "apply each Application's rendered Deployment and Service directly (no Applications) and wait until the Deployments are ready")
	flag.Parse()
	// the binary as installed: a freshly linked one holds ~60–90 MB more of its pages resident
	installed, cleanup, err := binary.InstalledCopy(*bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "copying the binary:", err)
		os.Exit(1)
	}
	f, err := run(installed, *n, *timeout, strings.Fields(*extra), *direct, *idle, *hist)
	cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "apps benchmark:", err)
		os.Exit(1)
	}
	fmt.Println("| measure | value | target |")
	fmt.Println("|---|---|---|")
	if *direct {
		fmt.Printf("| %d Deployments + Services applied directly (no Applications) → all ready | %.1f s | — |\n", f.Apps, f.Seconds)
		fmt.Printf("| throughput | %.1f pairs/s | — |\n", f.AppsPerSec)
		fmt.Printf("| server RSS at the end | %.0f MB | — |\n", f.RSSMB)
		fmt.Printf("| server peak RSS (VmHWM) | %.0f MB | — |\n", f.PeakRSSMB)
		fmt.Printf("| server CPU time during the run | %.1f s | — |\n", f.CPUSeconds)
		writeJSON(*jsonOut, f)
		return
	}
	fmt.Printf("| %d Applications (webservice + scaler + labels) → all running | %.1f s | — |\n", f.Apps, f.Seconds)
	fmt.Printf("| throughput | %.1f apps/s | ≥ 20 apps/s |\n", f.AppsPerSec)
	fmt.Printf("| reconcile p50 / p99 (controller histogram, %0.f reconciles) | %.0f ms / %.0f ms | p99 ≤ 200 ms |\n", f.Reconciles, f.ReconcileP50*1000, f.ReconcileP99*1000)
	fmt.Printf("| server RSS at the end | %.0f MB | ≤ 1 GiB |\n", f.RSSMB)
	fmt.Printf("| server peak RSS (VmHWM) | %.0f MB | — |\n", f.PeakRSSMB)
	fmt.Printf("| server CPU time during the run | %.1f s | — |\n", f.CPUSeconds)
	if f.IdleSeconds > 0 {
		fmt.Printf("| server CPU time in the %.0f s after (all running) | %.1f s | — |\n", f.IdleSeconds, f.IdleCPUSeconds)
	}
	writeJSON(*jsonOut, f)
}

// writeJSON writes f as JSON to path, if one is given.
func writeJSON(path string, f *figures) {
	if path != "" {
		data, _ := json.MarshalIndent(f, "", "  ")
		_ = os.WriteFile(path, data, 0o644)
	}
}

func run(bin string, n int, timeout time.Duration, extra []string, direct bool, idle time.Duration, hist string) (*figures, error) {
	dir, err := os.MkdirTemp("", "velad-bench-apps-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	port, metricsPort := freePort(), freePort()
	metricsAddr := "127.0.0.1:" + strconv.Itoa(metricsPort)
	args := append([]string{"server", "--node", "simulated", "--data-dir", dir, "--port", strconv.Itoa(port), "--bind-ip", "127.0.0.1", "--metrics-addr", metricsAddr}, extra...)
	srv := exec.Command(bin, args...)
	logf, _ := os.Create(filepath.Join(dir, "server.log"))
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		return nil, err
	}
	defer func() { _ = srv.Process.Signal(syscall.SIGTERM); _ = srv.Wait() }()
	if err := waitPhase(filepath.Join(dir, "run", "phase"), 2*time.Minute); err != nil {
		return nil, err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", filepath.Join(dir, "kubeconfig", "admin.yaml"))
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = 500, 1000
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	calls0, callsErr := apiCalls(ctx, cfg)
	cpu0 := cpuSeconds(srv.Process.Pid)
	start := time.Now()
	create, wait := createApps, waitAllRunning
	if direct {
		create, wait = applyRendered, waitAllReady
	}
	if err := create(ctx, dyn, n); err != nil {
		return nil, err
	}
	if err := wait(ctx, dyn, n); err != nil {
		return nil, err
	}
	elapsed := time.Since(start).Seconds()
	if calls1, err := apiCalls(ctx, cfg); err == nil && callsErr == nil {
		printCalls(os.Stderr, "during the run", calls0, calls1, n)
	}
	var p50, p99, count float64
	if !direct {
		if p50, p99, count, err = reconcileQuantiles("http://"+metricsAddr+"/metrics", hist); err != nil {
			return nil, err
		}
	}
	f := &figures{Apps: n, Seconds: elapsed, AppsPerSec: float64(n) / elapsed, ReconcileP50: p50, ReconcileP99: p99,
		Reconciles: count, RSSMB: proc.RSSMB([]int{srv.Process.Pid}), PeakRSSMB: proc.PeakRSSMB([]int{srv.Process.Pid}), CPUSeconds: cpuSeconds(srv.Process.Pid) - cpu0}
	if idle > 0 {
		calls0, callsErr = apiCalls(ctx, cfg)
		idle0 := cpuSeconds(srv.Process.Pid)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(idle):
		}
		f.IdleSeconds, f.IdleCPUSeconds = idle.Seconds(), cpuSeconds(srv.Process.Pid)-idle0
		if calls1, err := apiCalls(ctx, cfg); err == nil && callsErr == nil {
			printCalls(os.Stderr, fmt.Sprintf("in the %s after all were running", idle), calls0, calls1, n)
		}
	}
	return f, nil
}

func createApps(ctx context.Context, dyn dynamic.Interface, n int) error {
	return parallel(n, func(i int) error {
		_, err := dyn.Resource(appsGVR).Namespace("default").Create(ctx, app(i), metav1.CreateOptions{})
		return err
	})
}

// parallel runs do(0..n-1) on 16 workers (the benchmark's concurrent callers) and returns
// the first error.
func parallel(n int, do func(i int) error) error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	work := make(chan int)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := do(i); err != nil {
					errs <- err
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	return <-errs
}

func app(i int) *unstructured.Unstructured {
	name := fmt.Sprintf("bench-%04d", i)
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "core.oam.dev/v1beta1", "kind": "Application",
		"metadata": map[string]any{"name": name, "namespace": "default"},
		"spec": map[string]any{"components": []any{map[string]any{
			"name": name, "type": "webservice",
			"properties": map[string]any{"image": "nginx", "ports": []any{map[string]any{"port": int64(80), "expose": true}}},
			"traits": []any{
				map[string]any{"type": "scaler", "properties": map[string]any{"replicas": int64(1)}},
				map[string]any{"type": "labels", "properties": map[string]any{"bench": "apps"}},
			},
		}}},
	}}
}

// waitAllRunning returns once n Applications are running. It lists once and then follows a
// watch (re-listing when the watch ends), so that observing the run costs the server little:
// listing all Applications every second, as this benchmark did until 2026-11-23, made the
// apiserver copy and encode every Application once a second (at 1000 Applications ~80 MB
// of live heap and a few percent of its CPU).
func waitAllRunning(ctx context.Context, dyn dynamic.Interface, n int) error {
	return waitAll(ctx, dyn.Resource(appsGVR).Namespace("default"), n, isRunning, "running")
}

// waitAll returns once n objects of res are done (list, then watch), reporting the count
// as it goes.
func waitAll(ctx context.Context, apps dynamic.ResourceInterface, n int, isDone func(*unstructured.Unstructured) bool, what string) error {
	running := map[string]bool{}
	report := func() bool {
		count := 0
		for _, r := range running {
			if r {
				count++
			}
		}
		fmt.Fprintf(os.Stderr, "\r%d/%d %s", count, n, what)
		return count == n
	}
	for {
		list, err := apps.List(ctx, metav1.ListOptions{})
		if err == nil {
			clear(running)
			for i := range list.Items {
				running[list.Items[i].GetName()] = isDone(&list.Items[i])
			}
			if report() {
				fmt.Fprintln(os.Stderr)
				return nil
			}
			if done, err := watchDone(ctx, apps, list.GetResourceVersion(), running, isDone, report); done || err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not all %d %s: %w", n, what, ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

// watchDone follows events from rv into running (isDone of each object) until report
// says all are done or the watch ends (to be re-listed).
func watchDone(ctx context.Context, apps dynamic.ResourceInterface, rv string, running map[string]bool, isDone func(*unstructured.Unstructured) bool, report func() bool) (bool, error) {
	w, err := apps.Watch(ctx, metav1.ListOptions{ResourceVersion: rv})
	if err != nil {
		return false, nil
	}
	defer w.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("not all done: %w", ctx.Err())
		case <-tick.C:
			report()
		case ev, ok := <-w.ResultChan():
			if !ok || ev.Type == watch.Error {
				return false, nil
			}
			u, isApp := ev.Object.(*unstructured.Unstructured)
			if !isApp {
				continue
			}
			if ev.Type == watch.Deleted {
				delete(running, u.GetName())
			} else {
				running[u.GetName()] = isDone(u)
			}
			if report() {
				fmt.Fprintln(os.Stderr)
				return true, nil
			}
		}
	}
}

func isRunning(a *unstructured.Unstructured) bool {
	s, _, _ := unstructured.NestedString(a.Object, "status", "status")
	return s == "running"
}

func waitPhase(path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		data, _ := os.ReadFile(path)
		switch p := strings.Fields(string(data)); {
		case len(p) > 0 && p[0] == "ready":
			return nil
		case len(p) > 0 && p[0] == "failed":
			return fmt.Errorf("server failed: %s", data)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("server not ready after %s", timeout)
}

// cpuSeconds is utime+stime of pid (clock ticks of 100 Hz).
func cpuSeconds(pid int) float64 {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	s := string(data)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		f := strings.Fields(s[i+1:])
		if len(f) > 13 {
			u, _ := strconv.ParseFloat(f[11], 64)
			k, _ := strconv.ParseFloat(f[12], 64)
			return (u + k) / 100
		}
	}
	return 0
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 17443
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
