package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// eachSample calls fn with the labels and value of every sample of the metric name in
// Prometheus text format read from r (a histogram's buckets are the metric <name>_bucket).
func eachSample(r io.Reader, name string, fn func(labels map[string]string, v float64)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, name)
		if !ok || (rest != "" && rest[0] != '{' && rest[0] != ' ') {
			continue // a comment, another metric, or one whose name only starts with name
		}
		labels := map[string]string{}
		if strings.HasPrefix(rest, "{") {
			var err error
			if labels, rest, err = parseLabels(rest[1:]); err != nil {
				return fmt.Errorf("%s: %w", line, err)
			}
		}
		f := strings.Fields(rest) // value [timestamp]
		if len(f) == 0 {
			continue
		}
		if v, err := strconv.ParseFloat(f[0], 64); err == nil {
			fn(labels, v)
		}
	}
	return sc.Err()
}

// parseLabels reads `k="v",...}` and returns the labels and what follows the brace.
func parseLabels(s string) (map[string]string, string, error) {
	labels := map[string]string{}
	for {
		s = strings.TrimLeft(s, " ,")
		if strings.HasPrefix(s, "}") {
			return labels, s[1:], nil
		}
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			return nil, "", fmt.Errorf("label without a value")
		}
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return nil, "", fmt.Errorf("label %s: %w", k, err)
		}
		labels[strings.TrimSpace(k)], _ = strconv.Unquote(q)
		s = rest[len(q):]
	}
}
