package workflow

import (
	"errors"
	"fmt"
	"time"
)

// Step reasons, as KubeVela reports them in status.workflow.steps[].reason.
const (
	ReasonExecute            = "Execute"
	ReasonWait               = "Wait"
	ReasonSuspend            = "Suspend"
	ReasonTimeout            = "Timeout"
	ReasonAction             = "Action"
	ReasonSkip               = "Skip"
	ReasonTerminate          = "Terminate"
	ReasonFailedAfterRetries = "FailedAfterRetries"
	ReasonParameter          = "ParameterError"
	ReasonOutput             = "Output"
)

// WaitError is returned by an action handler that must be called again later
// (a resource not yet healthy); the step stays running.
type WaitError struct {
	// Message is shown in the step status.
	Message string
}

// Error implements error.
func (e *WaitError) Error() string { return "waiting: " + e.Message }

// Wait returns a *WaitError with a formatted message.
func Wait(format string, args ...any) error { return &WaitError{Message: fmt.Sprintf(format, args...)} }

// controlKind is how an action stopped the step early.
type controlKind int

const (
	controlNone controlKind = iota
	controlWait
	controlSuspend
	controlFail
	controlBreak
)

// control is the flow-control outcome of running a step's actions.
type control struct {
	kind    controlKind
	message string
	// duration is a #Suspend's duration ("" = until resumed).
	duration string
}

// asWait reports whether err is (or wraps) a *WaitError and returns its message.
func asWait(err error) (string, bool) {
	var w *WaitError
	if errors.As(err, &w) {
		return w.Message, true
	}
	return "", false
}

// backoff is the delay before retry n (1-based): base·2^(n-1), at most max.
func backoff(n int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d
}
