package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// apiCalls reads the apiserver's apiserver_request_total through cfg and sums it by
// "VERB resource[/subresource]" (WATCH and LIST of every kind included).
func apiCalls(ctx context.Context, cfg *rest.Config) (map[string]float64, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	data, err := cs.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, err
	}
	return parseCalls(bytes.NewReader(data))
}

// parseCalls sums apiserver_request_total by "VERB resource[/subresource]", with
// " (code)" appended for a request that did not succeed (a 409 is a conflict).
func parseCalls(r io.Reader) (map[string]float64, error) {
	out := map[string]float64{}
	err := eachSample(r, "apiserver_request_total", func(labels map[string]string, v float64) {
		key := labels["verb"] + " " + labels["resource"]
		if s := labels["subresource"]; s != "" {
			key += "/" + s
		}
		if c := labels["code"]; c != "" && !strings.HasPrefix(c, "2") {
			key += " (" + c + ")"
		}
		out[key] += v
	})
	return out, err
}

// printCalls writes the calls made between before and after, per Application, largest first.
func printCalls(w io.Writer, when string, before, after map[string]float64, apps int) {
	type row struct {
		key string
		n   float64
	}
	var rows []row
	total := 0.0
	for k, v := range after {
		if d := v - before[k]; d > 0 {
			rows = append(rows, row{k, d})
			total += d
		}
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].n > rows[j].n })
	fmt.Fprintf(w, "apiserver requests %s: %.0f (%.1f per Application)\n", when, total, total/float64(apps))
	for _, r := range rows {
		if r.n/float64(apps) >= 0.05 {
			fmt.Fprintf(w, "  %-50s %8.0f %6.2f/app\n", r.key, r.n, r.n/float64(apps))
		}
	}
}
