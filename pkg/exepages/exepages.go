// Package exepages releases the pages of the running executable that start-up touched.
//
// velad is one ~270 MiB binary, and a long-lived velad process (the server, the real
// node's containerd) touches more than half of its text, rodata and pclntab while its
// packages initialise and its components start: all of them stay mapped, and counted in
// the process's RSS, though an idle cluster runs a small part of that code again. Release
// unmaps them once the process has settled; the pages the process touches afterwards fault
// back in from the page cache (minor faults: the pages are still cached). See
// docs/design/binary-pages.md for the measurements and why the gain depends on the size of
// the page-cache folios the binary is held in.
package exepages

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
	"k8s.io/klog/v2"
)

// mapping is one mapping of /proc/self/smaps.
type mapping struct {
	start, end uintptr
	perms      string
	path       string
	rss, anon  uint64 // bytes
}

// releasable reports whether m maps exe read-only with no private (copied-on-write) page:
// dropping such a mapping's pages loses nothing, they read back from the file.
func (m mapping) releasable(exe string) bool {
	return m.path == exe && len(m.perms) == 4 && m.perms[1] != 'w' && m.anon == 0 && m.rss > 0
}

// Release unmaps the resident pages of the process's read-only mappings of its own
// executable (text, rodata, pclntab; not data, not the relocated read-only data, which
// hold private copies), evicts the executable's page cache that no process maps, and
// returns how many bytes were resident in the released mappings.
func Release() (uint64, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, fmt.Errorf("reading /proc/self/exe: %w", err)
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0, fmt.Errorf("reading /proc/self/smaps: %w", err)
	}
	var released uint64
	for _, m := range parseSmaps(smaps) {
		if !m.releasable(exe) {
			continue
		}
		// The addresses come from smaps, not from a Go pointer: the raw system call.
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, m.start, m.end-m.start, unix.MADV_DONTNEED); errno != 0 {
			err := error(errno)
			return released, fmt.Errorf("madvise(MADV_DONTNEED) on %x-%x of %s: %w", m.start, m.end, exe, err)
		}
		released += m.rss
	}
	evict(exe)
	return released, nil
}

// evict drops the page cache of exe that no process maps any more. When something read the
// binary with read() (cp, sha256sum, an image build), the cache holds it in folios of up to
// 2 MiB, and a fault on one byte maps the whole folio: the released pages would be back
// within seconds. What is evicted is read again on the next fault, through the fault path's
// readahead, which caches it in 4 KiB pages (docs/design/binary-pages.md). Pages that other
// processes map stay cached; best effort.
func evict(exe string) {
	f, err := os.Open(exe)
	if err != nil {
		return
	}
	defer f.Close()
	// Dirty pages (a binary built seconds ago) are not evicted: write them first (a no-op
	// for an installed binary, whose pages are clean).
	_ = unix.Fdatasync(int(f.Fd()))
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}

// ReleaseAfter calls Release once, after delay, unless ctx is done first, and logs the result.
func ReleaseAfter(ctx context.Context, delay time.Duration) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(delay):
	}
	n, err := Release()
	if err != nil {
		klog.InfoS("could not release the executable's start-up pages", "err", err)
		return
	}
	klog.V(2).InfoS("released the executable's start-up pages", "MB", n>>20)
}

// parseSmaps reads the mappings of a /proc/<pid>/smaps text.
func parseSmaps(data []byte) []mapping {
	var out []mapping
	var cur *mapping
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if start, end, ok := parseRange(fields[0]); ok && len(fields) >= 5 {
			out = append(out, mapping{start: start, end: end, perms: fields[1]})
			cur = &out[len(out)-1]
			if len(fields) >= 6 {
				// The path may hold spaces (and ends in " (deleted)" once replaced).
				cur.path = strings.Join(fields[5:], " ")
			}
			continue
		}
		if cur == nil || len(fields) < 2 {
			continue
		}
		kb, err := strconv.ParseUint(fields[1], 10, 64)
		if err != nil {
			continue
		}
		switch fields[0] {
		case "Rss:":
			cur.rss = kb << 10
		case "Anonymous:":
			cur.anon = kb << 10
		}
	}
	return out
}

// parseRange parses a mapping's "start-end" address range (hexadecimal).
func parseRange(s string) (uintptr, uintptr, bool) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, false
	}
	start, err1 := strconv.ParseUint(a, 16, 64)
	end, err2 := strconv.ParseUint(b, 16, 64)
	if err1 != nil || err2 != nil || end <= start {
		return 0, 0, false
	}
	return uintptr(start), uintptr(end), true
}
