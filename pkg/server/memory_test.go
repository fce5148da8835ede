package server

import (
	"context"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func gogc() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

var sink [][]byte

// adaptGC collects at the idle GOGC, at the default one while the process allocates fast,
// and goes back to the idle one once allocation calms down.
func TestAdaptGCFollowsTheAllocationRate(t *testing.T) {
	t.Setenv("GOGC", "")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { adaptGC(ctx, 25); close(done) }()
	waitGOGC := func(want uint64, timeout time.Duration, work func()) {
		t.Helper()
		for deadline := time.Now().Add(timeout); gogc() != want; {
			if time.Now().After(deadline) {
				t.Fatalf("GOGC is %d after %s, want %d", gogc(), timeout, want)
			}
			work()
		}
	}
	idle := func() { time.Sleep(50 * time.Millisecond) }
	waitGOGC(25, 5*time.Second, idle)
	busy := func() { // ~80 MB/s, well above busyAllocRate
		for i := 0; i < 4; i++ {
			sink = append(sink, make([]byte, 1<<20))
		}
		if len(sink) > 64 {
			sink = sink[:0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitGOGC(100, 10*time.Second, busy)
	sink = nil
	waitGOGC(25, idleAfter+10*time.Second, idle)
	cancel()
	<-done
}

// An explicit GOGC in the environment is the user's choice: adaptGC leaves it alone.
func TestAdaptGCLeavesAnExplicitGOGCAlone(t *testing.T) {
	t.Setenv("GOGC", "100")
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	adaptGC(context.Background(), 25) // returns at once
	if got := gogc(); got != 100 {
		t.Errorf("GOGC = %d, want 100 left alone", got)
	}
}

// Busy, the heap may grow by GOGC 100 while the live heap is small, by busyHeadroom once it
// is larger, and never by less than minBusyPercent.
func TestBusyGOGCCapsTheHeadroom(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 100}, {100 * mb, 100}, {512 * mb, 100}, {800 * mb, 60}, {1024 * mb, 50}, {1600 * mb, 30}, {8192 * mb, minBusyPercent},
	} {
		if got := busyGOGC(100, c.live); got != c.want {
			t.Errorf("busyGOGC(100, %d MB) = %d, want %d", c.live/mb, got, c.want)
		}
	}
}

// Busy, the GOGC follows the live heap at every sample, also while the allocation rate is
// between the idle and busy thresholds; idle, it stays at the idle setting whatever the heap.
func TestGCModeFollowsTheLiveHeapWhileBusy(t *testing.T) {
	const mb = 1 << 20
	g := gcMode{idlePercent: 25, busyPercent: 100, idle: true, percent: 25}
	between := float64(busyAllocRate+idleAllocRate) / 2
	steps := []struct {
		rate float64
		live uint64
		want int
	}{
		{between, 2048 * mb, 25},           // idle: a moderate rate does not make it busy
		{2 * busyAllocRate, 100 * mb, 100}, // busy
		{between, 1024 * mb, 50},           // the live heap grew under a moderate load
		{between, 1600 * mb, 30},
		{0, 800 * mb, 60}, // quiet, but not for idleAfter yet: still busy, following the heap
		{between, 100 * mb, 100},
	}
	for i, s := range steps {
		if got, _ := g.step(s.rate, s.live); got != s.want {
			t.Fatalf("step %d (rate %.0f MB/s, live %d MB): GOGC %d, want %d", i, s.rate/mb, s.live/mb, got, s.want)
		}
	}
	for n := gcSampleEvery; n < idleAfter; n += gcSampleEvery {
		if got, _ := g.step(0, 1024*mb); got != 50 {
			t.Fatalf("after %s quiet: GOGC %d, want 50 (busy until %s)", n, got, idleAfter)
		}
	}
	if got, changed := g.step(0, 1024*mb); got != 25 || !changed {
		t.Fatalf("after %s quiet: GOGC %d (changed %v), want the idle 25", idleAfter, got, changed)
	}
	if _, changed := g.step(0, 100*mb); changed {
		t.Fatal("idle: GOGC changed with the live heap")
	}
}

// The memory target is the soft limit while the live heap and the runtime's other memory
// leave 40 % of the live heap as headroom under it; beyond, the limit rises with them.
func TestTargetLimitLeavesHeadroomAboveTheLiveHeap(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct {
		live, overhead uint64
		want           int64
	}{
		{0, 0, 800 * mb}, {100 * mb, 50 * mb, 800 * mb}, {460 * mb, 150 * mb, 800 * mb}, {500 * mb, 200 * mb, 900 * mb},
		{1000 * mb, 0, 1400 * mb}, {2000 * mb, 200 * mb, 3000 * mb},
	} {
		if got := targetLimit(800*mb, c.live, c.overhead); got != c.want {
			t.Errorf("targetLimit(800 MB, live %d MB, overhead %d MB) = %d MB, want %d MB", c.live/mb, c.overhead/mb, got/mb, c.want/mb)
		}
	}
}

// followMemoryTarget sets the runtime's soft limit while it runs and lifts it when done; a
// limit set before (GOMEMLIMIT, --memory-limit) is left alone.
func TestFollowMemoryTarget(t *testing.T) {
	const target = 3 << 30 // well above this test's live heap
	defer debug.SetMemoryLimit(math.MaxInt64)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { followMemoryTarget(ctx, target); close(done) }()
	for deadline := time.Now().Add(5 * time.Second); debug.SetMemoryLimit(-1) != target; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("memory limit %d after 5s, want the target %d", debug.SetMemoryLimit(-1), target)
		}
	}
	cancel()
	<-done
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Fatalf("memory limit %d once stopped, want none", got)
	}

	debug.SetMemoryLimit(2 << 30)
	followMemoryTarget(context.Background(), target) // returns at once
	if got := debug.SetMemoryLimit(-1); got != 2<<30 {
		t.Errorf("memory limit %d, want the explicit 2 GiB left alone", got)
	}
}
