package multicluster

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors; match them with errors.Is.
var (
	// ErrNotFound means no cluster of that name is joined.
	ErrNotFound = errors.New("cluster not found")
	// ErrExists means a cluster of that name is already joined.
	ErrExists = errors.New("cluster already exists")
	// ErrLocal means the operation does not apply to the hub cluster "local".
	ErrLocal = errors.New(`"local" is the hub cluster`)
	// ErrInUse means Applications still have resources in the cluster.
	ErrInUse = errors.New("cluster in use")
	// ErrUnreachable means the cluster did not answer its readiness probe.
	ErrUnreachable = errors.New("cluster unreachable")
	// ErrProbeTimeout means a readiness probe got no answer in time.
	ErrProbeTimeout = errors.New("probe timed out")
	// ErrCredentialRejected means the cluster answered but refused the stored credential.
	ErrCredentialRejected = errors.New("credential rejected")
)

// notFoundError says which cluster is missing and how to see the joined ones.
func notFoundError(name string) error {
	return fmt.Errorf("%w: %q is not joined (see vela cluster list)", ErrNotFound, name)
}

// InUseError lists the Applications that still have resources in a cluster.
type InUseError struct {
	// Cluster is the cluster name.
	Cluster string
	// Applications are "namespace/name" of the Applications using it.
	Applications []string
}

// Error implements error.
func (e *InUseError) Error() string {
	return fmt.Sprintf("cluster %q is still used by application(s) %s: delete them first, or detach anyway with --force (their resources in %s are then left behind)",
		e.Cluster, strings.Join(e.Applications, ", "), e.Cluster)
}

// Unwrap lets errors.Is match ErrInUse.
func (e *InUseError) Unwrap() error { return ErrInUse }

// UnreachableError reports a cluster that failed its readiness probe.
type UnreachableError struct {
	// Cluster is the cluster name.
	Cluster string
	// Endpoint is the API server address that was probed.
	Endpoint string
	// Cause is why the probe failed.
	Cause error
	// RetryIn is how long the ClientCache waits before probing again (0 when not cached).
	RetryIn time.Duration
}

// Error implements error.
func (e *UnreachableError) Error() string {
	msg := fmt.Sprintf("cluster %q unreachable at %s: %v", e.Cluster, e.Endpoint, e.Cause)
	if e.RetryIn > 0 {
		d := e.RetryIn.Round(time.Second)
		if d < time.Second {
			d = time.Second
		}
		msg += fmt.Sprintf(" (retrying in %s)", d)
	}
	return msg
}

// Unwrap lets errors.Is match ErrUnreachable and the cause.
func (e *UnreachableError) Unwrap() []error { return []error{ErrUnreachable, e.Cause} }
