// Package exepages releases the pages of the running executable that start-up touched.
//
// velad is one ~270 MiB binary, and a long-lived velad process (the server, the real
// node's containerd) touches more than half of its text, rodata and pclntab while its
// packages initialise and its components start: all of them stay mapped, and counted in
// the process's RSS, though an idle cluster runs a small part of that code again. Release
// unmaps them once the process has settled; the pages the process touches afterwards fault
// back in from the page cache, or from disk where the eviction that follows dropped them. See
// docs/design/010-binary-pages.md for the measurements and why the gain depends on the size of
// the page-cache folios the binary is held in.
package exepages

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
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
	offset     uint64
	rss, anon  uint64 // bytes
	swap       uint64 // bytes
}

// releasable reports whether m maps exe read-only with no private (copied-on-write) page, in
// memory (Anonymous) or swapped out (Swap), and does not overlap relro (the range the dynamic
// loader wrote before making it read-only): dropping such a mapping's pages loses nothing,
// they read back from the file.
func (m mapping) releasable(exe string, relro [2]uintptr) bool {
	return m.path == exe && len(m.perms) == 4 && m.perms[1] != 'w' && m.anon == 0 && m.swap == 0 && m.rss > 0 &&
		(m.end <= relro[0] || m.start >= relro[1])
}

// relroRange returns where the executable's PT_GNU_RELRO segment is mapped ([0 0] if none):
// its ELF program headers, moved by the load bias of a position-independent executable (the
// start of its mapping at file offset 0, less its first PT_LOAD's page).
func relroRange(exe string, maps []mapping) ([2]uintptr, error) {
	f, err := elf.Open("/proc/self/exe")
	if err != nil {
		return [2]uintptr{}, err
	}
	defer f.Close()
	var bias uintptr
	if f.Type == elf.ET_DYN {
		first := ^uint64(0)
		for _, p := range f.Progs {
			if p.Type == elf.PT_LOAD && p.Vaddr < first {
				first = p.Vaddr
			}
		}
		for _, m := range maps {
			if m.path == exe && m.offset == 0 {
				bias = m.start - uintptr(first&^0xfff)
				break
			}
		}
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_GNU_RELRO {
			start := (uintptr(p.Vaddr) + bias) &^ 0xfff
			end := (uintptr(p.Vaddr+p.Memsz) + bias + 0xfff) &^ 0xfff
			return [2]uintptr{start, end}, nil
		}
	}
	return [2]uintptr{}, nil
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
	maps := parseSmaps(smaps)
	relro, err := relroRange(exe, maps)
	if err != nil {
		return 0, fmt.Errorf("reading the program headers of %s: %w", exe, err)
	}
	var released uint64
	for _, m := range maps {
		if !m.releasable(exe, relro) {
			continue
		}
		// The addresses come from smaps, not from a Go pointer: the raw system call.
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, m.start, m.end-m.start, unix.MADV_DONTNEED); errno != 0 {
			err := error(errno)
			return released, fmt.Errorf("madvise(MADV_DONTNEED) on %x-%x of %s: %w", m.start, m.end, exe, err)
		}
		released += m.rss
	}
	evict()
	return released, nil
}

// evict drops the page cache of the running executable that no process maps any more. When something read the
// binary with read() (cp, sha256sum, an image build), the cache holds it in folios of up to
// 2 MiB, and a fault on one byte maps the whole folio: the released pages would be back
// within seconds. What is evicted is read again on the next fault, through the fault path's
// readahead, which caches it in 4 KiB pages (docs/design/010-binary-pages.md). Pages that other
// processes map stay cached; best effort.
func evict() {
	// The running file, even if exe was replaced or deleted since.
	f, err := os.Open("/proc/self/exe")
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
			off, _ := strconv.ParseUint(fields[2], 16, 64)
			out = append(out, mapping{start: start, end: end, perms: fields[1], offset: off})
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
		case "Swap:":
			cur.swap = kb << 10
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
