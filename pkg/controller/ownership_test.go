package controller

import (
	"errors"
	"testing"
	"time"
)

// inParallel runs every index and returns the error of the lowest failing index, whatever
// the order they finish in.
func TestInParallel(t *testing.T) {
	if err := inParallel(0, func(int) error { t.Fatal("called with n=0"); return nil }); err != nil {
		t.Fatal(err)
	}
	errs := map[int]error{3: errors.New("three"), 7: errors.New("seven")}
	ran := make([]bool, 25)
	err := inParallel(25, func(i int) error {
		time.Sleep(time.Duration(25-i) * time.Millisecond) // later indexes finish first
		ran[i] = true
		return errs[i]
	})
	if err == nil || err.Error() != "three" {
		t.Errorf("error %v, want the lowest index's (three)", err)
	}
	for i, r := range ran {
		if !r {
			t.Errorf("index %d did not run", i)
		}
	}
}
