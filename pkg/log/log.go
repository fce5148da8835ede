// Package log is the tiny logger interface velad's libraries take at their boundaries
// (pkg/cluster, pkg/addon); the command layer injects the concrete implementation.
package log

import (
	"fmt"
	"io"
)

// Logger reports progress and warnings to the user.
type Logger interface {
	// Infof prints an informational line.
	Infof(format string, args ...any)
	// Warnf prints a warning line.
	Warnf(format string, args ...any)
}

// Noop discards everything.
type Noop struct{}

// Infof implements Logger.
func (Noop) Infof(string, ...any) {}

// Warnf implements Logger.
func (Noop) Warnf(string, ...any) {}

// Writer prints to an io.Writer, warnings prefixed with "WARNING: ".
type Writer struct {
	// W receives the lines.
	W io.Writer
}

// Infof implements Logger.
func (w Writer) Infof(format string, args ...any) { fmt.Fprintf(w.W, format+"\n", args...) }

// Warnf implements Logger.
func (w Writer) Warnf(format string, args ...any) {
	fmt.Fprintf(w.W, "WARNING: "+format+"\n", args...)
}
