package main

import (
	"bufio"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

const histogram = "velad_application_reconcile_duration_seconds"

// reconcileQuantiles reads the controller's reconcile histogram (all results) from a
// Prometheus text endpoint and estimates p50 and p99 by linear interpolation in buckets.
func reconcileQuantiles(url string) (p50, p99, count float64, err error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, 0, 0, err
	}
	defer resp.Body.Close()
	buckets := map[float64]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, histogram+"_bucket{") {
			continue
		}
		i := strings.Index(line, `le="`)
		j := strings.Index(line[i+4:], `"`)
		leStr := line[i+4 : i+4+j]
		le, perr := strconv.ParseFloat(leStr, 64)
		if leStr == "+Inf" {
			le, perr = 1e9, nil
		}
		f := strings.Fields(line)
		v, verr := strconv.ParseFloat(f[len(f)-1], 64)
		if perr == nil && verr == nil {
			buckets[le] += v
		}
	}
	if len(buckets) == 0 {
		return 0, 0, 0, fmt.Errorf("no %s in %s", histogram, url)
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
				if le == 1e9 {
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
