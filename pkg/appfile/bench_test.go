package appfile

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"velad.io/velad/pkg/cue"
	"velad.io/velad/pkg/cue/provider/op"
)

// Run: go test -run '^$' -bench . -benchmem -cpu 1 ./pkg/appfile

// benchTraits are the bench components' traits (scaler, labels and env) for
// the component of index i.
var benchTraits = []func(i int) string{
	func(i int) string {
		return fmt.Sprintf("        - type: scaler\n          properties: {replicas: %d}\n", i+1)
	},
	func(i int) string {
		return fmt.Sprintf("        - type: labels\n          properties: {tier: t%d, team: bench}\n", i)
	},
	func(int) string { return "        - type: env\n          properties: {env: {B: b, C: c}}\n" },
}

// benchApp is a 5-component application with 3 traits per component
// (scaler, labels, env) and distinct properties per component.
func benchApp(tb testing.TB) *Application {
	return benchAppWith(tb, func(int) []func(int) string { return benchTraits })
}

// benchApp5c3t is the "5-component, 3-trait Application" read
// literally: 5 components and 3 traits in all (scaler on the first
// component, labels on the second, env on the third).
func benchApp5c3t(tb testing.TB) *Application {
	return benchAppWith(tb, func(i int) []func(int) string {
		if i < len(benchTraits) {
			return benchTraits[i : i+1]
		}
		return nil
	})
}

// benchAppWith is a 5-component webservice application whose component i
// carries traits(i).
func benchAppWith(tb testing.TB, traits func(i int) []func(int) string) *Application {
	var b strings.Builder
	b.WriteString("apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: bench, namespace: default}\nspec:\n  components:\n")
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&b, `    - name: web-%d
      type: webservice
      properties:
        image: nginx:1.%d
        port: %d
        env: [{name: A, value: a}]
`, i, i, 8080+i)
		if ts := traits(i); len(ts) > 0 {
			b.WriteString("      traits:\n")
			for _, t := range ts {
				b.WriteString(t(i))
			}
		}
	}
	return parseApp(tb, b.String())
}

func benchEngine(b *testing.B, memo int) *cue.Engine {
	e, err := cue.New(cue.WithProviders(op.All()...), cue.WithRenderCache(memo))
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// benchRender renders app b.N times after one warm-up render and reports
// renders per wall second and per CPU second (steadier on a shared machine).
func benchRender(b *testing.B, e *cue.Engine, defs Loader) {
	benchRenderApp(b, e, defs, benchApp(b))
}

// benchRenderApp is benchRender of the given application.
func benchRenderApp(b *testing.B, e *cue.Engine, defs Loader, app *Application) {
	ctx := context.Background()
	if _, err := DryRun(ctx, e, defs, app, RenderOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		ms, err := DryRun(ctx, e, defs, app, RenderOptions{})
		if err != nil || len(ms) != 5 {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "renders/s")
	b.ReportMetric(float64(b.N)/(processCPU()-cpu0).Seconds(), "renders/cpu-s")
}

// BenchmarkRender: small fixture definitions, render cache off (every render evaluates CUE).
func BenchmarkRender(b *testing.B) { benchRender(b, benchEngine(b, 0), fixtures(b)) }

// BenchmarkRenderBuiltin: velad's embedded webservice, scaler, labels and env, render cache off.
func BenchmarkRenderBuiltin(b *testing.B) {
	defs, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	benchRender(b, benchEngine(b, 0), defs)
}

// BenchmarkRenderBuiltin5c3t: velad's embedded definitions, render cache off,
// the wording read literally: 5 components and 3 traits in all.
func BenchmarkRenderBuiltin5c3t(b *testing.B) {
	defs, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	benchRenderApp(b, benchEngine(b, 0), defs, benchApp5c3t(b))
}

// BenchmarkRenderBuiltinServerHeap is BenchmarkRenderBuiltin beside a 256 MB
// live heap, like a running server's (docs/benchmarks.md: 225-350 MB live with
// 300-1000 applications): small linked objects, half of the bytes pointer-free
// data, as in the API server's decoded objects (map nodes and string bytes).
// At the default GOGC the GC then runs once per ~256 MB allocated instead of
// about once per render next to the benchmark's tiny heap, and each run marks
// the big heap.
func BenchmarkRenderBuiltinServerHeap(b *testing.B) {
	defs, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	heap := liveHeap(256 << 20)
	runtime.GC()
	benchRender(b, benchEngine(b, 0), defs)
	runtime.KeepAlive(heap)
}

// heapNode is 32 bytes with pointers plus its 32 bytes of pointer-free data.
type heapNode struct {
	next *heapNode
	data *[32]byte
	_    [16]byte
}

// liveHeap allocates about size bytes of linked heapNodes and their data.
func liveHeap(size int) *heapNode {
	var head *heapNode
	for i := 0; i < size/64; i++ {
		head = &heapNode{next: head, data: new([32]byte)}
	}
	return head
}

// BenchmarkRenderBuiltinCached: as BenchmarkRenderBuiltin with the render cache
// on, i.e. re-rendering an unchanged application (a controller resync).
func BenchmarkRenderBuiltinCached(b *testing.B) {
	defs, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	benchRender(b, benchEngine(b, 1024), defs)
}

// BenchmarkRenderCold measures the first render on a fresh engine, template
// compilation included.
func BenchmarkRenderCold(b *testing.B) {
	ctx := context.Background()
	defs, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	app := benchApp(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := DryRun(ctx, benchEngine(b, 0), defs, app, RenderOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderParallel renders the built-ins from several goroutines sharing
// one engine, cache off (run with -cpu 2 to use both workers).
func BenchmarkRenderParallel(b *testing.B) {
	ctx := context.Background()
	e := benchEngine(b, 0)
	defs, err := Builtin()
	if err != nil {
		b.Fatal(err)
	}
	app := benchApp(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := DryRun(ctx, e, defs, app, RenderOptions{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "renders/s")
}

// processCPU is the user+system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
