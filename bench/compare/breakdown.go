package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// runtimeRoots are stacks the Go runtime itself starts (GC workers, scheduler, stacks).
const runtimeRoots = "runtime.gcBgMarkWorker runtime.bgsweep runtime.bgscavenge runtime.mcall runtime.morestack runtime.mstart runtime.systemstack runtime.rt0_go"

// components are matched in order against every frame of a stack: the first component with
// a frame anywhere in the stack gets the sample, so a controller-manager goroutine that runs
// client-go code counts for the controller-manager, and kine's gRPC handlers for kine.
func components() []struct{ name, prefixes string } {
	return []struct{ name, prefixes string }{
		{"package init() of all linked code", "runtime.doInit"},
		{"kube-controller-manager", "velad.io/velad/pkg/server/component.Embedded.ControllerManager k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/pkg/controller k8s.io/controller-manager k8s.io/kube-controller-manager"},
		{"kube-scheduler", "velad.io/velad/pkg/server/component.Embedded.Scheduler k8s.io/kubernetes/pkg/scheduler k8s.io/kubernetes/cmd/kube-scheduler"},
		{"kwok node", "velad.io/velad/pkg/server/node sigs.k8s.io/kwok"},
		{"velad controllers", "velad.io/velad/pkg/controller velad.io/velad/pkg/addon velad.io/velad/pkg/cue velad.io/velad/pkg/appfile velad.io/velad/pkg/workflow"},
		{"kine + SQLite (incl. its gRPC server)", "github.com/k3s-io/kine github.com/mattn/go-sqlite3 _cgo runtime.cgocall"},
		{"kube-apiserver", "velad.io/velad/pkg/server/component.Embedded.APIServer k8s.io/apiserver k8s.io/kubernetes/pkg/registry k8s.io/kubernetes/pkg/controlplane k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kube-aggregator k8s.io/apiextensions-apiserver k8s.io/kubernetes/plugin k8s.io/kubernetes/pkg/kubeapiserver k8s.io/kube-openapi"},
		{"etcd client / gRPC (apiserver → kine)", "go.etcd.io/etcd google.golang.org/grpc"},
		{"client-go (informers, all components)", "k8s.io/client-go"},
		{"net/http, TLS", "net/http crypto/tls golang.org/x/net/http2"},
	}
}

// classify returns the component of a stack given leaf first, as `pprof -traces` prints it.
func classify(stack []string) string {
	if len(stack) > 0 && hasPrefix(stack[len(stack)-1], runtimeRoots) {
		return "Go runtime (GC, scheduler, stacks)"
	}
	for _, c := range components() {
		for _, fn := range stack {
			if hasPrefix(fn, c.prefixes) {
				return c.name
			}
		}
	}
	return "other"
}

func hasPrefix(fn, prefixes string) bool {
	for _, p := range strings.Fields(prefixes) {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}

// breakdown sums one sample type of a profile per component, reading the stacks that
// `go tool pprof -traces` prints (so no profile library needs to be a module requirement).
func breakdown(path, sampleType string) (map[string]float64, float64, error) {
	out, err := exec.Command("go", "tool", "pprof", "-sample_index="+sampleType, "-traces", path).Output()
	if err != nil {
		return nil, 0, fmt.Errorf("go tool pprof -traces %s: %w", path, err)
	}
	sums, total := map[string]float64{}, 0.0
	var value float64
	var stack []string
	flush := func() {
		if stack != nil {
			c := classify(stack)
			sums[c] += value
			total += value
		}
		stack = nil
	}
	for _, line := range strings.Split(string(out), "\n") {
		switch f := strings.Fields(line); {
		case strings.HasPrefix(line, "-----"):
			flush()
		case len(f) >= 2 && stack == nil && isQuantity(f[0]):
			value, stack = quantity(f[0]), []string{f[1]}
		case len(f) >= 1 && stack != nil:
			stack = append(stack, f[0])
		}
	}
	flush()
	return sums, total, nil
}

// quantity parses pprof's "10ms", "1.20s", "512kB", "1.50MB" into seconds or bytes.
func quantity(s string) float64 {
	units := []struct {
		suffix string
		scale  float64
	}{{"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3}, {"s", 1}, {"kB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"B", 1}}
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			v, err := strconv.ParseFloat(strings.TrimSuffix(s, u.suffix), 64)
			if err == nil {
				return v * u.scale
			}
		}
	}
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

func isQuantity(s string) bool { return s != "" && (s[0] >= '0' && s[0] <= '9') }

// writeBreakdown writes components.md: per profile, each component's share.
func writeBreakdown(dir string) error {
	var b strings.Builder
	b.WriteString("Per-component share of each velad server profile (a sample goes to the first component of the list in `bench/compare/breakdown.go` with a frame in its stack; stacks the Go runtime starts count as runtime).\n")
	for _, f := range []struct{ file, typ, unit string }{
		{"cpu-boot.pb.gz", "cpu", "CPU s"}, {"cpu-load.pb.gz", "cpu", "CPU s"},
		{"heap-idle.pb.gz", "inuse_space", "MB in use"}, {"heap-loaded.pb.gz", "inuse_space", "MB in use"},
	} {
		m, total, err := breakdown(filepath.Join(dir, f.file), f.typ)
		if err != nil {
			return err
		}
		scale := 1.0
		if f.typ == "inuse_space" {
			scale = 1.0 / (1 << 20)
		}
		fmt.Fprintf(&b, "\n%s (total %.1f %s)\n\n| component | %s | share |\n|---|---|---|\n", f.file, total*scale, f.unit, f.unit)
		var names []string
		for k := range m {
			names = append(names, k)
		}
		sort.Slice(names, func(i, j int) bool { return m[names[i]] > m[names[j]] })
		for _, n := range names {
			fmt.Fprintf(&b, "| %s | %.1f | %.0f %% |\n", n, m[n]*scale, 100*m[n]/total)
		}
	}
	return os.WriteFile(filepath.Join(dir, "components.md"), []byte(b.String()), 0o644)
}
