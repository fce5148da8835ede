package server

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"k8s.io/klog/v2"
)

// Memory reclaim schedule: once start-up garbage is collectable, then periodically.
const (
	reclaimAfterReady = 30 * time.Second
	reclaimEvery      = 5 * time.Minute
)

// reclaimMemory returns freed heap pages to the OS after start-up and then every
// reclaimEvery. Go keeps up to twice the live heap mapped between collections
// (GOGC=100) and releases free pages only slowly; for a mostly idle cluster on a
// laptop that is ~100 MB of resident memory doing nothing. One forced collection
// every few minutes costs well under a second of CPU; a lower GOGC applies only
// while the server is idle (adaptGC), where collections are rare anyway.
func reclaimMemory(ctx context.Context) {
	wait := reclaimAfterReady
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		start := time.Now()
		debug.FreeOSMemory()
		klog.V(4).InfoS("returned free memory to the OS", "took", time.Since(start))
		wait = reclaimEvery
	}
}

// Allocation rates that make the collector switch between its idle and busy settings, and
// how often the rate is sampled. An idle cluster allocates well under 1 MB/s; start-up and
// any real load allocate tens of MB/s.
const (
	gcSampleEvery = time.Second
	busyAllocRate = 16 << 20 // bytes/s: above, collect at the busy GOGC at once
	idleAllocRate = 4 << 20  // bytes/s: below for idleAfter, back to the idle GOGC
	idleAfter     = 10 * time.Second
)

// Under load the collector's headroom above the live heap is capped: GOGC 100 lets the heap
// grow to twice its live data between collections, which for a server delivering 1,000
// Applications (live heap ~700-800 MB at the end of the run: the apiserver's watch caches and
// the requests in flight) is ~1.6 GB of heap. Busy, GOGC is lowered so that the heap goal
// stays within busyHeadroom of the live heap, but never below minBusyPercent (at most 4x the
// collections of GOGC 100, each marking the same live heap: no death spiral; the cost grows
// only once the live heap is above busyHeadroom). Measured with 1,000 Applications (server
// RSS at the end / server CPU, against 1,762 MB / 195 s with GOGC 100): a 512 MiB headroom
// 1,486 MB / 212 s (+9 % CPU), a 256 MiB one 1,123 MB / 246 s (+26 % CPU, rejected).
const (
	busyHeadroom   = 512 << 20 // bytes above the live heap a busy server may allocate before collecting
	minBusyPercent = 25
)

// busyGOGC is the GOGC for a busy process with live bytes of live heap: defaultPercent
// while that keeps the heap goal within busyHeadroom of the live heap, lower (in steps of
// 5, down to minBusyPercent) once the live heap is larger.
func busyGOGC(defaultPercent int, live uint64) int {
	if live == 0 || uint64(defaultPercent)*live <= 100*busyHeadroom {
		return defaultPercent
	}
	p := int(100 * busyHeadroom / live)
	p -= p % 5
	return max(p, minBusyPercent)
}

// adaptGC sets the collector to idlePercent (GOGC) and, until ctx is done, switches it to
// the runtime's setting (100, lowered by busyGOGC once the live heap is large) while the
// process is busy and back once it is idle again: an idle cluster keeps its heap within
// idlePercent of its live data (~130 MB for a server) instead of letting it grow to twice
// that between collections, a busy one pays extra collections only while its live heap is
// above busyHeadroom. idlePercent <= 0, or GOGC set in the environment, leaves the collector
// alone. (Start-up is not run at the idle setting: measured with GOGC=25 it left ~40 MB
// less heap but cost +50 % CPU before ready, 2.2 s for a server, 1.2 s for a member.)
func adaptGC(ctx context.Context, idlePercent int) {
	if idlePercent <= 0 || os.Getenv("GOGC") != "" {
		return
	}
	g := gcMode{idlePercent: idlePercent, busyPercent: debug.SetGCPercent(idlePercent), idle: true, percent: idlePercent}
	allocs := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(allocs)
	last := allocs[0].Value.Uint64()
	tick := time.NewTicker(gcSampleEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		metrics.Read(allocs)
		now, live := allocs[0].Value.Uint64(), allocs[1].Value.Uint64()
		rate := float64(now-last) / gcSampleEvery.Seconds()
		last = now
		if p, changed := g.step(rate, live); changed {
			debug.SetGCPercent(p)
			klog.V(4).InfoS("GC mode", "idle", g.idle, "allocMBps", int(rate)>>20, "liveMB", live>>20, "gogc", p)
		}
	}
}

// gcMode is adaptGC's state: idle or busy, and the GOGC in force.
type gcMode struct {
	idlePercent, busyPercent int // the idle setting and the runtime's own (before busyGOGC)
	idle                     bool
	quiet                    time.Duration // time spent below idleAllocRate while busy
	percent                  int           // the GOGC in force
}

// step takes one sample (allocation rate in bytes/s, live heap in bytes) and returns the
// GOGC to use and whether it differs from the one in force. Above busyAllocRate the process
// is busy at once; below idleAllocRate for idleAfter it is idle again; in between it keeps
// its mode. While busy, the GOGC follows the live heap (busyGOGC) at every sample, whatever
// the rate: a load allocating between the two thresholds still grows or frees the heap.
func (g *gcMode) step(rate float64, live uint64) (int, bool) {
	switch {
	case rate > busyAllocRate:
		g.idle, g.quiet = false, 0
	case rate < idleAllocRate && !g.idle:
		if g.quiet += gcSampleEvery; g.quiet >= idleAfter {
			g.idle = true
		}
	default:
		g.quiet = 0
	}
	p := g.idlePercent
	if !g.idle {
		p = busyGOGC(g.busyPercent, live)
	}
	changed := p != g.percent
	g.percent = p
	return p, changed
}

// DefaultMemoryTarget is the Go memory a server aims to stay under (`--memory-target`): with
// the velad binary's own pages (~170 MB resident under load) a server stays within 1 GiB of
// RSS while its live heap allows. Measured with 1,000 Applications (live heap ~450-500 MB at
// the end): RSS at the end 1,215-1,271 MB without a target, 965-972 MB with this one, server
// CPU within the run-to-run spread; with 2,000 (live heap past the target) 1,561 -> 1,196 MB
// for about +28 % server CPU (docs/benchmarks.md, issue 5).
const DefaultMemoryTarget = 900 << 20

// targetMinHeadroomPercent is the least headroom, in percent of the live heap, the memory
// target leaves the collector: once the live heap and the runtime's other memory no longer
// fit under the target with that headroom, the soft limit rises with them instead of making
// the collector run back to back.
const targetMinHeadroomPercent = 40

// targetLimit is the soft memory limit for a live heap of live bytes and overhead bytes of
// the runtime's other memory (stacks, metadata, unused parts of heap spans) under a memory
// target of target bytes: the target, or what leaves targetMinHeadroomPercent of the live
// heap as headroom if that is more.
func targetLimit(target int64, live, overhead uint64) int64 {
	return max(target, int64(live+live*targetMinHeadroomPercent/100+overhead))
}

// followMemoryTarget keeps the Go runtime's soft memory limit at targetLimit(target, live
// heap, other runtime memory) until ctx is done, re-read every gcSampleEvery. Unlike a fixed
// limit (--memory-limit, GOMEMLIMIT), which makes the collector run continuously once the
// live heap nears it, the target only brings collections forward while the live data leaves
// room: the heap stays under the target as long as it can, and above it keeps at least 40 %
// of the live heap as headroom. target <= 0, or a memory limit already set (GOMEMLIMIT,
// --memory-limit), leaves the limit alone.
func followMemoryTarget(ctx context.Context, target int64) {
	if target <= 0 || debug.SetMemoryLimit(-1) != math.MaxInt64 {
		return
	}
	defer debug.SetMemoryLimit(math.MaxInt64)
	m := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/free:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	tick := time.NewTicker(gcSampleEvery)
	defer tick.Stop()
	for set := int64(0); ; {
		metrics.Read(m)
		live, total, released, free, objects := m[0].Value.Uint64(), m[1].Value.Uint64(), m[2].Value.Uint64(), m[3].Value.Uint64(), m[4].Value.Uint64()
		var overhead uint64
		if used := released + free + objects; total > used {
			overhead = total - used
		}
		if limit := targetLimit(target, live, overhead); limit != set {
			debug.SetMemoryLimit(limit)
			set = limit
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
