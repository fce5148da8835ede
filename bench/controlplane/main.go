// Command controlplane benchmarks velad's cluster lifecycle by driving the built binary:
// cold install to ready (and each phase), restart to ready after kill -9, idle RSS of the
// server, boot time and RSS of a --cluster-only member, and the binary size. It prints a
// Markdown table and writes JSON to the path given by -json.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"syscall"
	"time"

	"velad.io/velad/bench/internal/binary"
	"velad.io/velad/pkg/proc"
)

type sample map[string]float64

type result struct {
	Name   string    `json:"name"`
	Unit   string    `json:"unit"`
	Values []float64 `json:"values"`
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Target string    `json:"target,omitempty"`
}

var phaseLine = regexp.MustCompile(`✓ (.+?)\s+([0-9.]+)s`)

func main() {
	bin := flag.String("velad", os.Getenv("VELAD_BINARY"), "velad binary")
	runs := flag.Int("runs", 5, "runs per measurement")
	idle := flag.Duration("idle", 60*time.Second, "idle time before measuring RSS")
	jsonOut := flag.String("json", "", "write results as JSON here")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "set -velad or VELAD_BINARY to the velad binary")
		os.Exit(2)
	}
	installed, cleanup, err := binary.InstalledCopy(*bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "copying the binary:", err)
		os.Exit(1)
	}
	results, err := measure(installed, *runs, *idle)
	cleanup()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	printTable(results)
	if *jsonOut != "" {
		data, _ := json.MarshalIndent(results, "", "  ")
		_ = os.WriteFile(*jsonOut, data, 0o644)
	}
}

// measure runs the lifecycle runs times and the idle RSS once with bin, and summarises them.
func measure(bin string, runs int, idle time.Duration) ([]result, error) {
	var samples []sample
	for i := 0; i < runs; i++ {
		s, err := lifecycleRun(bin)
		if err != nil {
			return nil, fmt.Errorf("run failed: %w", err)
		}
		fmt.Fprintf(os.Stderr, "run %d: %v\n", i+1, s)
		samples = append(samples, s)
	}
	rss, memberRSS, err := idleRSS(bin, idle)
	if err != nil {
		return nil, fmt.Errorf("idle RSS: %w", err)
	}
	st, err := os.Stat(bin)
	if err != nil {
		return nil, err
	}
	size := float64(st.Size()) / (1 << 20)
	return append(summarize(samples),
		result{Name: fmt.Sprintf("server RSS after %s idle", idle), Unit: "MB", Values: []float64{rss}, Median: rss, Min: rss, Max: rss, Target: "≤ 300 MB"},
		result{Name: fmt.Sprintf("member (--cluster-only) RSS after %s idle", idle), Unit: "MB", Values: []float64{memberRSS}, Median: memberRSS, Min: memberRSS, Max: memberRSS, Target: "≤ 200 MB"},
		result{Name: "binary size (stripped)", Unit: "MiB", Values: []float64{size}, Median: size, Min: size, Max: size},
	), nil
}

// lifecycleRun installs a cluster in a fresh home, kills it with -9, starts it, installs a
// member, and uninstalls both, timing each step.
func lifecycleRun(bin string) (sample, error) {
	home, err := os.MkdirTemp("", "velad-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(home)
	s := sample{}
	out, d, err := run(bin, home, "install", "--node", "simulated", "--port", strconv.Itoa(freePort()))
	if err != nil {
		return nil, fmt.Errorf("install: %v\n%s", err, out)
	}
	defer run(bin, home, "uninstall")
	s["install → ready"] = d
	for _, m := range phaseLine.FindAllStringSubmatch(out, -1) {
		if v, err := strconv.ParseFloat(m[2], 64); err == nil && m[1] != "ready" {
			s["  phase: "+m[1]] = v
		}
	}
	dataDir := filepath.Join(home, "default")
	for _, pid := range pids(dataDir) {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	for len(pids(dataDir)) > 0 {
		time.Sleep(20 * time.Millisecond)
	}
	if out, d, err = run(bin, home, "start"); err != nil {
		return nil, fmt.Errorf("start after kill -9: %v\n%s", err, out)
	}
	s["restart after kill -9 → ready"] = d
	if out, d, err = run(bin, home, "install", "--name", "member", "--cluster-only", "--port", strconv.Itoa(freePort())); err != nil {
		return nil, fmt.Errorf("member install: %v\n%s", err, out)
	}
	s["member (--cluster-only) install → ready"] = d
	run(bin, home, "uninstall", "--name", "member")
	return s, nil
}

func idleRSS(bin string, idle time.Duration) (float64, float64, error) {
	home, err := os.MkdirTemp("", "velad-bench-rss-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(home)
	if out, _, err := run(bin, home, "install", "--node", "simulated", "--port", strconv.Itoa(freePort())); err != nil {
		return 0, 0, fmt.Errorf("%v\n%s", err, out)
	}
	defer run(bin, home, "uninstall")
	if out, _, err := run(bin, home, "install", "--name", "member", "--cluster-only", "--port", strconv.Itoa(freePort())); err != nil {
		return 0, 0, fmt.Errorf("%v\n%s", err, out)
	}
	defer run(bin, home, "uninstall", "--name", "member")
	time.Sleep(idle)
	return treeRSS(filepath.Join(home, "default")), treeRSS(filepath.Join(home, "member")), nil
}

func run(bin, home string, args ...string) (string, float64, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "VELAD_HOME="+home, "KUBECONFIG=")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	start := time.Now()
	err := cmd.Run()
	return buf.String(), time.Since(start).Seconds(), err
}

// treeRSS sums the resident memory (MB) of every process serving dataDir (supervisor + server).
func treeRSS(dataDir string) float64 { return proc.RSSMB(pids(dataDir)) }

func pids(dataDir string) []int { return proc.WithArg(dataDir) }

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 16443
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

var targets = map[string]string{
	"install → ready":                         "≤ 8 s (issue 3), ≤ 5 s (issue 10)",
	"member (--cluster-only) install → ready": "≤ 5 s",
}

func summarize(samples []sample) []result {
	var names []string
	for k := range samples[0] {
		names = append(names, k)
	}
	sort.Strings(names)
	var out []result
	for _, n := range names {
		var vals []float64
		for _, s := range samples {
			vals = append(vals, s[n])
		}
		sorted := append([]float64(nil), vals...)
		sort.Float64s(sorted)
		out = append(out, result{Name: n, Unit: "s", Values: vals, Median: sorted[len(sorted)/2], Min: sorted[0], Max: sorted[len(sorted)-1], Target: targets[n]})
	}
	return out
}

func printTable(results []result) {
	fmt.Println("| measure | median | min | max | unit | target |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, r := range results {
		fmt.Printf("| %s | %.2f | %.2f | %.2f | %s | %s |\n", r.Name, r.Median, r.Min, r.Max, r.Unit, r.Target)
	}
}
