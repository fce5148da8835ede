// Command realnode benchmarks velad's real node (kubelet + containerd) by driving the built
// binary on a host that can run containers: install → node Ready, the first pod Running, 50
// pods of the built-in hello image (pod start p50/p90 and the time until all run), and the
// idle RSS of the whole process tree (supervisor, server, containerd, shims; the pods'
// containers counted apart). It prints a Markdown table and writes JSON to -json. Run it
// under `flock /tmp/velad-realnode.lock` where several people share the host.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"velad.io/velad/bench/internal/binary"
	"velad.io/velad/pkg/proc"
	"velad.io/velad/pkg/server/config"
)

type row struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Target string  `json:"target,omitempty"`
	Met    *bool   `json:"met,omitempty"`
}

func main() {
	bin := flag.String("velad", os.Getenv("VELAD_BINARY"), "velad binary")
	pods := flag.Int("pods", 50, "pods started at once")
	idle := flag.Duration("idle", 60*time.Second, "idle time before measuring RSS (the server and containerd release their start-up pages of the binary 30 s after start: pkg/exepages)")
	jsonOut := flag.String("json", "", "write results as JSON here")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "set -velad or VELAD_BINARY to the velad binary")
		os.Exit(2)
	}
	installed, cleanup, err := binary.InstalledCopy(*bin) // RSS as an installed binary has it
	if err != nil {
		fmt.Fprintln(os.Stderr, "copying the binary:", err)
		os.Exit(1)
	}
	rows, err := run(installed, *pods, *idle)
	cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, "realnode bench:", err)
		os.Exit(1)
	}
	fmt.Println("| measurement | value | target |\n|---|---|---|")
	for _, r := range rows {
		target := r.Target
		if r.Met != nil {
			target += map[bool]string{true: " ✓", false: " ✗ missed"}[*r.Met]
		}
		fmt.Printf("| %s | %s %s | %s |\n", r.Name, strconv.FormatFloat(r.Value, 'f', -1, 64), r.Unit, target)
	}
	if *jsonOut != "" {
		data, _ := json.MarshalIndent(map[string]any{"pods": *pods, "idle": idle.String(), "rows": rows}, "", "  ")
		if err := os.WriteFile(*jsonOut, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

func run(bin string, n int, idle time.Duration) ([]row, error) {
	home, err := os.MkdirTemp("", "velad-bench-realnode-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(home)
	velad := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "VELAD_HOME="+home, "KUBECONFIG=")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	start := time.Now()
	if out, err := velad("install", "--name", "bench", "--node", "real", "--port", strconv.Itoa(freePort())); err != nil {
		return nil, fmt.Errorf("velad install --node real: %v\n%s", err, out)
	}
	installed := time.Since(start)
	defer func() {
		if out, err := velad("uninstall", "--name", "bench"); err != nil {
			fmt.Fprintf(os.Stderr, "uninstall: %v\n%s", err, out)
		}
	}()
	dataDir := filepath.Join(home, "bench")
	cfg := &config.Config{DataDir: dataDir}
	rc, err := clientcmd.BuildConfigFromFlags("", cfg.AdminKubeconfig())
	if err != nil {
		return nil, err
	}
	rc.QPS, rc.Burst = 200, 400
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		return nil, fmt.Errorf("no node: %v", err)
	}
	ready := time.Duration(0)
	for _, c := range nodes.Items[0].Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			ready = c.LastTransitionTime.Sub(start.Truncate(time.Second))
		}
	}

	time.Sleep(idle)
	nodeRSS, _ := treeRSS(cfg)
	fmt.Fprintf(os.Stderr, "installed in %s (node Ready after %s); idle RSS %.0f MB, PSS %.0f MB\n", installed.Round(time.Millisecond), ready, nodeRSS.rss, nodeRSS.pss)

	first, err := startPods(ctx, cs, "first", 1)
	if err != nil {
		return nil, err
	}
	many, err := startPods(ctx, cs, "hello", n)
	if err != nil {
		return nil, err
	}
	sort.Slice(many, func(i, j int) bool { return many[i] < many[j] })
	all := many[len(many)-1]
	time.Sleep(10 * time.Second)
	withPodsRSS, podRSS := treeRSS(cfg)
	each := perProcess(cfg)

	sec := func(d time.Duration) float64 { return float64(d.Round(10*time.Millisecond)) / float64(time.Second) }
	met := func(b bool) *bool { return &b }
	return append([]row{
		{Name: "install → ready (`velad install --node real` returns)", Value: sec(installed), Unit: "s"},
		{Name: "install start → node Ready (the node's Ready condition, 1 s precision)", Value: sec(ready), Unit: "s", Target: "≤ 10 s", Met: met(ready <= 10*time.Second)},
		{Name: "first pod (hello image) created → Running", Value: sec(first[0]), Unit: "s"},
		{Name: fmt.Sprintf("%d pods created at once → each Running, p50", n), Value: sec(many[len(many)/2]), Unit: "s"},
		{Name: fmt.Sprintf("%d pods created at once → each Running, p90", n), Value: sec(many[len(many)*9/10]), Unit: "s"},
		{Name: fmt.Sprintf("%d pods created at once → all Running", n), Value: sec(all), Unit: "s", Target: "≤ 30 s", Met: met(all <= 30*time.Second)},
		{Name: fmt.Sprintf("idle RSS, whole process tree (supervisor, server, containerd; no pods), after %s", idle), Value: float64(int(nodeRSS.rss)), Unit: "MB", Target: "≤ 450 MB", Met: met(nodeRSS.rss <= 450)},
		{Name: "idle PSS of the same processes (shared pages of the one velad binary counted once)", Value: float64(int(nodeRSS.pss)), Unit: "MB"},
		{Name: fmt.Sprintf("with %d pods running: RSS of velad, containerd and the %d shims", n+1, n+1), Value: float64(int(withPodsRSS.rss)), Unit: "MB"},
		{Name: fmt.Sprintf("with %d pods running: PSS of velad, containerd and the %d shims", n+1, n+1), Value: float64(int(withPodsRSS.pss)), Unit: "MB"},
		{Name: fmt.Sprintf("PSS of the %d pods' own processes (hello, pause)", n+1), Value: float64(int(podRSS.pss)), Unit: "MB"},
	}, each...), nil
}

// processKinds are the per-pod processes measured one by one: each one's argv has the key.
var processKinds = []struct{ name, arg string }{
	{"runc shim", "-namespace"},
	{"pause (sandbox)", "pause"},
	{"hello (the pod's container)", "hello"},
}

// perProcess returns, per kind of per-pod process, its mean PSS and RSS.
func perProcess(cfg *config.Config) []row {
	var out []row
	sock := filepath.Join(cfg.AgentRunDir(), "containerd.sock")
	pods := podPIDs(nil)
	for _, k := range processKinds {
		var pids []int
		candidates := pods
		if k.arg == "-namespace" {
			candidates = proc.WithArg(sock)
		}
		for _, pid := range candidates {
			if proc.HasArg(pid, k.arg) {
				pids = append(pids, pid)
			}
		}
		if len(pids) == 0 {
			continue
		}
		mb := func(v float64) float64 { return float64(int(v/float64(len(pids))*10)) / 10 }
		out = append(out,
			row{Name: fmt.Sprintf("per %s process, mean of %d: PSS", k.name, len(pids)), Value: mb(proc.PSSMB(pids)), Unit: "MB"},
			row{Name: fmt.Sprintf("per %s process, mean of %d: RSS", k.name, len(pids)), Value: mb(proc.RSSMB(pids)), Unit: "MB"})
	}
	return out
}

// startPods creates n hello pods at once and returns, per pod, the time from its creation
// request to its phase Running as a watch sees it.
func startPods(ctx context.Context, cs kubernetes.Interface, prefix string, n int) ([]time.Duration, error) {
	pods := cs.CoreV1().Pods("default")
	w, err := pods.Watch(ctx, metav1.ListOptions{LabelSelector: "bench=" + prefix})
	if err != nil {
		return nil, err
	}
	defer w.Stop()
	var mu sync.Mutex
	created := map[string]time.Time{}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s-%d", prefix, i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			mu.Lock()
			created[name] = time.Now()
			mu.Unlock()
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"bench": prefix}},
				Spec: corev1.PodSpec{
					Containers:                    []corev1.Container{{Name: "hello", Image: "velad.local/hello:v1"}},
					TerminationGracePeriodSeconds: new(int64),
				},
			}
			if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, fmt.Errorf("creating pods: %w", err)
	}
	running := map[string]time.Duration{}
	for len(running) < n {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				return nil, fmt.Errorf("pod watch closed with %d of %d pods Running", len(running), n)
			}
			p, isPod := ev.Object.(*corev1.Pod)
			if !isPod || ev.Type == watch.Deleted {
				continue
			}
			if _, done := running[p.Name]; !done && p.Status.Phase == corev1.PodRunning {
				mu.Lock()
				running[p.Name] = time.Since(created[p.Name])
				mu.Unlock()
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d pods Running after the time limit", len(running), n)
		}
	}
	out := make([]time.Duration, 0, n)
	for _, d := range running {
		out = append(out, d)
	}
	return out, nil
}

// mem is the memory of a set of processes in MB: RSS (shared pages counted in each process)
// and PSS (shared pages split among their users: what the set costs).
type mem struct{ rss, pss float64 }

// treeRSS measures the cluster's processes (supervisor, server, containerd, shims) and apart
// the pods' processes (in the kubelet's kubepods cgroups).
func treeRSS(cfg *config.Config) (node, pods mem) {
	run := cfg.AgentRunDir()
	seen := map[int]bool{}
	var nodePIDs []int
	for _, arg := range []string{cfg.DataDir, filepath.Join(cfg.AgentDir(), "etc", "containerd", "config.toml"), filepath.Join(run, "containerd.sock")} {
		for _, pid := range proc.WithArg(arg) {
			if !seen[pid] {
				seen[pid] = true
				nodePIDs = append(nodePIDs, pid)
			}
		}
	}
	podPIDs := podPIDs(seen)
	return mem{proc.RSSMB(nodePIDs), proc.PSSMB(nodePIDs)}, mem{proc.RSSMB(podPIDs), proc.PSSMB(podPIDs)}
}

// podPIDs lists the processes in the kubelet's kubepods cgroups but those in skip.
func podPIDs(skip map[int]bool) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || skip[pid] {
			continue
		}
		if cg, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cgroup")); err == nil && strings.Contains(string(cg), "kubepods") {
			out = append(out, pid)
		}
	}
	return out
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
