package controller

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// inParallel runs every index, several at once but never more than maxDispatchConcurrent,
// and returns the error of the lowest failing index whatever the order they finish in.
func TestInParallel(t *testing.T) {
	if err := inParallel(0, func(int) error { t.Fatal("called with n=0"); return nil }); err != nil {
		t.Fatal(err)
	}
	var running, most, done atomic.Int32
	errs := map[int]error{3: errors.New("three"), 7: errors.New("seven")}
	err := inParallel(25, func(i int) error {
		now := running.Add(1)
		for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
		}
		time.Sleep(time.Duration(25-i) * time.Millisecond) // later indexes finish first
		running.Add(-1)
		done.Add(1)
		return errs[i]
	})
	if err == nil || err.Error() != "three" {
		t.Errorf("error %v, want the lowest index's (three)", err)
	}
	if done.Load() != 25 {
		t.Errorf("%d of 25 ran", done.Load())
	}
	if m := most.Load(); m < 2 || m > maxDispatchConcurrent {
		t.Errorf("%d ran at once, want 2..%d", m, maxDispatchConcurrent)
	}
}
