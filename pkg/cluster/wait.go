package cluster

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"velad.io/velad/pkg/server"
	"velad.io/velad/pkg/server/config"
)

// startTimeout bounds how long Start waits for a cluster to become ready.
const startTimeout = 3 * time.Minute

// ProgressFunc is told each start-up phase as the server enters it, with the time since start.
type ProgressFunc func(phase server.Phase, elapsed time.Duration)

// waitReady follows the server's phase file until it is ready, failed or gone.
func (m *Manager) waitReady(ctx context.Context, cfg *config.Config, progress ProgressFunc) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	start := time.Now()
	last := server.Phase("")
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		phase, detail, err := server.ReadPhase(cfg.PhaseFile())
		if err == nil && phase != last {
			last = phase
			if progress != nil && phase != server.PhaseFailed {
				progress(phase, time.Since(start))
			}
		}
		switch {
		case phase == server.PhaseReady:
			return nil
		case phase == server.PhaseFailed:
			return fmt.Errorf("cluster %q failed to start: %s\n%s", cfg.Name, detail, logTail(cfg.LogFile(), 10))
		case !m.Running(cfg) && time.Since(start) > 2*time.Second:
			return fmt.Errorf("cluster %q: server exited during start-up\n%s", cfg.Name, logTail(cfg.LogFile(), 15))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster %q not ready after %s (last phase %q); see %s", cfg.Name, time.Since(start).Truncate(time.Second), last, cfg.LogFile())
		case <-t.C:
		}
	}
}

// logTail returns the last n lines of the log, for error messages.
func logTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "last lines of " + path + ":\n  " + strings.Join(lines, "\n  ")
}
