// Package parallel runs a batch of independent tasks with a bound on how many run at once.
package parallel

import "sync"

// Run runs do(0..n-1), at most limit at once (a single task runs inline), waits for all,
// and returns each task's error at its index.
func Run(n, limit int, do func(i int) error) []error {
	errs := make([]error, n)
	if n == 1 {
		errs[0] = do(0)
		return errs
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, max(limit, 1))
	for i := range n {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			errs[i] = do(i)
		})
	}
	wg.Wait()
	return errs
}
