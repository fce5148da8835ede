package process

// The supervisor side of this driver, `velad supervise --data-dir <dir>`, is C
// (supervise.c): an ELF constructor that takes over the process before the Go runtime
// starts when argv[1] is "supervise". A Go supervisor ran the package init of everything
// velad links and kept ~140 MB resident (about 20 MB of heap, the rest the binary's pages
// that init touched) to wait on one child; the C one stays at a few MB. Any binary that
// links this package gets the constructor; only velad is ever started with "supervise".
//
// The same constructor runs `velad pause` (pause.c), the built-in pause image's entrypoint
// (pkg/agent/images), so that a real node's pod sandboxes are not each a whole velad process.

// #cgo CFLAGS: -Wall
import "C"

// superviseCommand is the command line that runs the supervisor for a data dir.
func superviseCommand(exe, dataDir string) []string {
	return []string{exe, "supervise", "--data-dir", dataDir}
}
