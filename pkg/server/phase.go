package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Phase is a named step of start-up, recorded in the phase file so that `velad install` and
// `velad status` can show progress of a detached server.
type Phase string

// Start-up phases in order.
const (
	PhaseStarting    Phase = "starting" // also written by the C supervisor (driver/process/supervise.c) before each (re)start
	PhaseCerts       Phase = "certificates"
	PhaseDatastore   Phase = "datastore"
	PhaseAPI         Phase = "api"
	PhaseNode        Phase = "node"
	PhaseControllers Phase = "controllers"
	PhaseReady       Phase = "ready"
	PhaseFailed      Phase = "failed"
	PhaseStopped     Phase = "stopped"
)

// Phases lists the start-up phases a server goes through, in order.
var Phases = []Phase{PhaseStarting, PhaseCerts, PhaseDatastore, PhaseAPI, PhaseNode, PhaseControllers, PhaseReady}

func writePhase(path string, p Phase, detail string) {
	_ = os.MkdirAll(filepath.Dir(path), 0o700)
	line := string(p)
	if detail != "" {
		line += " " + strings.ReplaceAll(detail, "\n", " ")
	}
	tmp := path + ".tmp"
	if os.WriteFile(tmp, []byte(line+"\n"), 0o600) == nil {
		_ = os.Rename(tmp, path)
	}
}

// writeOutcome records how a run ended: failed with its error, or stopped.
func writeOutcome(path string, err error) {
	if err != nil {
		writePhase(path, PhaseFailed, err.Error())
	} else {
		writePhase(path, PhaseStopped, "")
	}
}

// ReadPhase returns the phase recorded in path and its detail (the error of a failed start).
func ReadPhase(path string) (Phase, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("reading phase file: %w", err)
	}
	p, detail, _ := strings.Cut(strings.TrimSpace(string(data)), " ")
	return Phase(p), detail, nil
}
