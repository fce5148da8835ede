package parallel

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// Run runs every index, several at once but never more than the limit, and returns each
// error at its index whatever the order the tasks finish in.
func TestRun(t *testing.T) {
	if errs := Run(0, 4, func(int) error { t.Fatal("called with n=0"); return nil }); len(errs) != 0 {
		t.Fatalf("n=0: %v", errs)
	}
	var running, most, done atomic.Int32
	fail := map[int]error{3: errors.New("three"), 7: errors.New("seven")}
	errs := Run(25, 10, func(i int) error {
		now := running.Add(1)
		for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
		}
		time.Sleep(time.Duration(25-i) * time.Millisecond) // later indexes finish first
		running.Add(-1)
		done.Add(1)
		return fail[i]
	})
	if done.Load() != 25 || len(errs) != 25 {
		t.Fatalf("%d of 25 ran, %d errors returned", done.Load(), len(errs))
	}
	for i, err := range errs {
		if err != fail[i] {
			t.Errorf("errs[%d] = %v, want %v", i, err, fail[i])
		}
	}
	if m := most.Load(); m < 2 || m > 10 {
		t.Errorf("%d ran at once, want 2..10", m)
	}
}
