package exepages

import (
	"os"
	"strings"
	"testing"
)

func TestParseSmapsReadsRangesPathsAndSizes(t *testing.T) {
	smaps := `00400000-033ff000 r--p 00000000 fd:00 12 /usr/local/bin/my velad
Size:              49148 kB
Rss:                1200 kB
Anonymous:             0 kB
113be000-113c2000 r--p 10fbd000 fd:00 12 /usr/local/bin/my velad
Rss:                  16 kB
Anonymous:            16 kB
7ffd1000-7ffd2000 rw-p 00000000 00:00 0
Rss:                   4 kB
113c2000-113c6000 r--p 10fc1000 fd:00 12 /usr/local/bin/my velad
Rss:                   8 kB
Anonymous:             0 kB
Swap:                  8 kB
113c6000-113ca000 r--p 10fc5000 fd:00 12 /usr/local/bin/my velad
Rss:                   8 kB
Anonymous:             0 kB
Swap:                  0 kB
`
	got := parseSmaps([]byte(smaps))
	if len(got) != 5 {
		t.Fatalf("parsed %d mappings, want 5: %+v", len(got), got)
	}
	exe := "/usr/local/bin/my velad"
	noRelro := [2]uintptr{}
	if m := got[0]; m.start != 0x400000 || m.end != 0x33ff000 || m.path != exe || m.rss != 1200<<10 || !m.releasable(exe, noRelro) {
		t.Errorf("text mapping = %+v, want releasable 0x400000-0x33ff000 of %q with 1200 kB", m, exe)
	}
	if got[1].releasable(exe, noRelro) {
		t.Errorf("relocated read-only data (private copies) must not be released: %+v", got[1])
	}
	if got[2].releasable(exe, noRelro) {
		t.Errorf("an anonymous mapping must not be released: %+v", got[2])
	}
	if got[3].releasable(exe, noRelro) {
		t.Errorf("a mapping whose private pages are swapped out must not be released: %+v", got[3])
	}
	if !got[4].releasable(exe, noRelro) || got[4].releasable(exe, [2]uintptr{0x113c5000, 0x113c7000}) {
		t.Errorf("a clean mapping is released unless it overlaps the RELRO range: %+v", got[4])
	}
}

// The test binary's RELRO range, if it has one, lies within a read-only mapping of it.
func TestRelroRangeIsMapped(t *testing.T) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Skip("no /proc/self/exe:", err)
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	maps := parseSmaps(smaps)
	relro, err := relroRange(exe, maps)
	if err != nil {
		t.Fatal(err)
	}
	if relro == [2]uintptr{} {
		return // a static test binary has none
	}
	for _, m := range maps {
		if m.path == exe && m.start <= relro[0] && relro[1] <= m.end {
			return
		}
	}
	t.Errorf("RELRO %x-%x is in no mapping of %s", relro[0], relro[1], exe)
}

func TestReleaseDropsTheExecutablesPagesAndTheProcessRunsOn(t *testing.T) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Skip("no /proc/self/exe:", err)
	}
	n, err := Release()
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("released nothing of %s", exe)
	}
	// The code and data run after the release fault back in from the file.
	if !strings.Contains(strings.Repeat("velad", 3), "dv") {
		t.Fatal("strings.Contains is broken after the release")
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	var after uint64
	maps := parseSmaps(smaps)
	relro, err := relroRange(exe, maps)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range maps {
		if m.releasable(exe, relro) {
			after += m.rss
		}
	}
	if after >= n {
		t.Errorf("resident pages of %s: %d bytes before the release, %d after", exe, n, after)
	}
}
