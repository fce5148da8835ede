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
`
	got := parseSmaps([]byte(smaps))
	if len(got) != 3 {
		t.Fatalf("parsed %d mappings, want 3: %+v", len(got), got)
	}
	exe := "/usr/local/bin/my velad"
	if m := got[0]; m.start != 0x400000 || m.end != 0x33ff000 || m.path != exe || m.rss != 1200<<10 || !m.releasable(exe) {
		t.Errorf("text mapping = %+v, want releasable 0x400000-0x33ff000 of %q with 1200 kB", m, exe)
	}
	if got[1].releasable(exe) {
		t.Errorf("relocated read-only data (private copies) must not be released: %+v", got[1])
	}
	if got[2].releasable(exe) {
		t.Errorf("an anonymous mapping must not be released: %+v", got[2])
	}
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
	for _, m := range parseSmaps(smaps) {
		if m.releasable(exe) {
			after += m.rss
		}
	}
	if after >= n {
		t.Errorf("resident pages of %s: %d bytes before the release, %d after", exe, n, after)
	}
}
