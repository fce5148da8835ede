package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"velad.io/velad/pkg/server"
)

var phaseTitles = map[server.Phase]string{
	server.PhaseStarting:    "server process",
	server.PhaseCerts:       "certificates",
	server.PhaseDatastore:   "datastore (kine + SQLite)",
	server.PhaseAPI:         "API server",
	server.PhaseNode:        "node, controller-manager, scheduler",
	server.PhaseControllers: "controllers",
}

// agentPhaseTitles name the phases of a joined agent, which has no control plane: it goes
// certificates → node → ready.
var agentPhaseTitles = map[server.Phase]string{
	server.PhaseStarting: "agent process",
	server.PhaseCerts:    "kubelet certificate from the server",
	server.PhaseNode:     "containerd, kubelet, kube-proxy",
}

// phasePrinter shows start-up progress: a spinner on the current phase on a terminal, and a
// ✓ line with its duration for each finished phase.
type phasePrinter struct {
	w       io.Writer
	tty     bool
	mu      sync.Mutex
	current server.Phase
	since   time.Duration
	stop    chan struct{}
	titles  map[server.Phase]string
	// skips lists the phases passed over between two reported ones (none for an agent).
	skips func(from, to server.Phase) []server.Phase
}

func newPhasePrinter(w io.Writer) *phasePrinter {
	return &phasePrinter{w: w, tty: isTerminal(w), titles: phaseTitles, skips: between}
}

// newAgentPhasePrinter shows a joining agent's progress.
func newAgentPhasePrinter(w io.Writer) *phasePrinter {
	p := newPhasePrinter(w)
	p.titles, p.skips = agentPhaseTitles, func(_, _ server.Phase) []server.Phase { return nil }
	return p
}

// print is a cluster.ProgressFunc.
func (p *phasePrinter) print(phase server.Phase, elapsed time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stop != nil {
		close(p.stop)
		p.stop = nil
	}
	if p.current != "" {
		p.clearLine()
		fmt.Fprintf(p.w, " ✓ %-40s %5.1fs\n", p.titles[p.current], (elapsed - p.since).Seconds())
		for _, skipped := range p.skips(p.current, phase) {
			fmt.Fprintf(p.w, " ✓ %-40s %5.1fs\n", p.titles[skipped], 0.0)
		}
	}
	p.current, p.since = phase, elapsed
	if phase == server.PhaseReady || phase == server.PhaseStopped {
		fmt.Fprintf(p.w, " ✓ %-40s %5.1fs total\n", "ready", elapsed.Seconds())
		p.current = ""
		return
	}
	if p.tty {
		p.stop = make(chan struct{})
		go p.spin(p.titles[phase], p.stop)
	}
}

func (p *phasePrinter) spin(title string, stop chan struct{}) {
	frames := []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		p.mu.Lock()
		select {
		case <-stop:
			p.mu.Unlock()
			return
		default:
		}
		fmt.Fprintf(p.w, "\r %c %s", frames[i%len(frames)], title)
		p.mu.Unlock()
		<-t.C
	}
}

func (p *phasePrinter) clearLine() {
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// between returns the phases strictly after from and before to, which a fast server may pass
// through between two polls.
func between(from, to server.Phase) []server.Phase {
	var out []server.Phase
	in := false
	for _, p := range server.Phases {
		switch {
		case p == from:
			in = true
		case p == to:
			return out
		case in:
			out = append(out, p)
		}
	}
	return nil
}
