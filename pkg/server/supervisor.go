package server

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/klog/v2"
)

// supervisor runs the server's goroutines: the first one to fail cancels the rest, and its
// error becomes the server's.
type supervisor struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	errs   chan error
}

func newSupervisor(cancel context.CancelFunc) *supervisor {
	return &supervisor{cancel: cancel, errs: make(chan error, 16)}
}

// goRun runs fn in a goroutine; an error (or an unexpected return) is reported on errs.
func (s *supervisor) goRun(name string, fn func() error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := fn()
		if err != nil {
			klog.ErrorS(err, "component stopped", "component", name)
			select {
			case s.errs <- fmt.Errorf("%s: %w", name, err):
			default:
			}
		}
	}()
}

// block waits until ctx is done (nil) or a component fails (its error).
func (s *supervisor) block(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case err := <-s.errs:
		return err
	}
}

// wait cancels everything and waits up to grace for the goroutines to return.
func (s *supervisor) wait(grace time.Duration) {
	s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		klog.InfoS("components still stopping after grace period; exiting", "grace", grace)
	}
}
