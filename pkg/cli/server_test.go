package cli

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// Tuning flags given to install are kept as --flag=value and applied when the
// server starts, unless the server's own command line sets them.
func TestServerArgsRoundTrip(t *testing.T) {
	install := serverTuningFlags(&serverTuning{})
	if err := install.Parse([]string{"--concurrent-reconciles=8", "--resync-period", "90s", "--memory-limit=256MiB", "--resource-tracker-compression=none"}); err != nil {
		t.Fatal(err)
	}
	kept := changedServerArgs(install)
	want := []string{"--concurrent-reconciles=8", "--memory-limit=256MiB", "--resource-tracker-compression=none", "--resync-period=1m30s"}
	if !reflect.DeepEqual(kept, want) {
		t.Fatalf("kept %v, want %v", kept, want)
	}

	var got serverTuning
	server := serverTuningFlags(&got)
	if err := server.Parse([]string{"--concurrent-reconciles=2"}); err != nil {
		t.Fatal(err)
	}
	if err := applyServerArgs(server, kept); err != nil {
		t.Fatal(err)
	}
	if opts := got.controller; opts.ConcurrentReconciles != 2 || opts.ResyncPeriod != 90*time.Second || got.memoryLimit.bytes != 256<<20 ||
		opts.TrackerCompression != "none" || opts.RevisionCompression != "zstd" {
		t.Errorf("server got reconciles %d (command line wins: 2), resync %s, memory %q, compression %s/%s (want zstd/none)",
			opts.ConcurrentReconciles, opts.ResyncPeriod, got.memoryLimit.text, opts.RevisionCompression, opts.TrackerCompression)
	}

	if got.memoryTarget.bytes != 900<<20 {
		t.Errorf("memory target %d bytes, want the default 900MiB", got.memoryTarget.bytes)
	}

	for _, bad := range []string{"--no-such-flag=1", "concurrent-reconciles=3", "--concurrent-reconciles=many", "--application-revision-compression=lz4", "--memory-target=lots", "--memory-limit=-1Gi"} {
		err := applyServerArgs(serverTuningFlags(&serverTuning{}), []string{bad})
		if err == nil || !strings.Contains(err.Error(), "serverArgs entry") {
			t.Errorf("%s: error %v, want one naming the serverArgs entry", bad, err)
		}
	}
}
