package main

import (
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
)

// histogram is velad's reconcile histogram; controller-runtime's own,
// controller_runtime_reconcile_time_seconds{controller="application"}, has buckets that do not
// change with velad's (-histogram: compare binaries whose buckets differ).
const histogram = "velad_application_reconcile_duration_seconds"

// reconcileQuantiles reads the reconcile histogram name (all results; of a controller-runtime
// histogram, the application controller's series) from a Prometheus text endpoint and
// estimates p50 and p99 by linear interpolation in buckets.
func reconcileQuantiles(url, name string) (p50, p99, count float64, err error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, 0, 0, err
	}
	defer resp.Body.Close()
	buckets := map[float64]float64{} // upper bound (le, +Inf last) -> cumulative count
	err = eachSample(resp.Body, name+"_bucket", func(labels map[string]string, v float64) {
		if c, ok := labels["controller"]; ok && c != "application" {
			return
		}
		if le, err := strconv.ParseFloat(labels["le"], 64); err == nil {
			buckets[le] += v
		}
	})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("reading %s: %w", url, err)
	}
	if len(buckets) == 0 {
		return 0, 0, 0, fmt.Errorf("no %s in %s", name, url)
	}
	var les []float64
	for le := range buckets {
		les = append(les, le)
	}
	sort.Float64s(les)
	count = buckets[les[len(les)-1]]
	q := func(p float64) float64 {
		target := p * count
		prevLe, prevC := 0.0, 0.0
		for _, le := range les {
			c := buckets[le]
			if c >= target {
				if math.IsInf(le, 1) {
					return prevLe
				}
				if c == prevC {
					return le
				}
				return prevLe + (le-prevLe)*(target-prevC)/(c-prevC)
			}
			prevLe, prevC = le, c
		}
		return prevLe
	}
	return q(0.5), q(0.99), count, nil
}
