package server

import (
	"context"
	"runtime/debug"
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
// every few minutes costs well under a second of CPU; a lower GOGC or a memory
// limit would instead tax every collection under load.
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
