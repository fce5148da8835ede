package main

import (
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const metricsText = `# HELP apiserver_request_total Counter of apiserver requests.
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",resource="pods",subresource="status",verb="PATCH"} 3
apiserver_request_total{code="201",resource="applications",verb="POST"} 2
apiserver_request_total{code="200",resource="applications",verb="POST"} 1 1700000000000
apiserver_request_total{code="409",component="apiserver",resource="deployments",subresource="status",verb="PUT"} 2
apiserver_request_total_other{verb="GET"} 9
velad_application_reconcile_duration_seconds_bucket{result="ok",le="0.1"} 4
velad_application_reconcile_duration_seconds_bucket{result="ok",le="+Inf"} 5
velad_application_reconcile_duration_seconds_sum{result="ok"} 0.7
`

func TestParseCallsAndBuckets(t *testing.T) {
	calls, err := parseCalls(strings.NewReader(metricsText))
	if err != nil || len(calls) != 3 || calls["PATCH pods/status"] != 3 || calls["POST applications"] != 3 ||
		calls["PUT deployments/status (409)"] != 2 {
		t.Fatalf("calls %v, %v", calls, err)
	}
	les := map[string]float64{}
	err = eachSample(strings.NewReader(metricsText), histogram+"_bucket", func(l map[string]string, v float64) { les[l["le"]] += v })
	if err != nil || len(les) != 2 || les["0.1"] != 4 || les["+Inf"] != 5 {
		t.Fatalf("buckets %v, %v", les, err)
	}
}

func TestReconcileQuantilesReadTheApplicationControllersSeries(t *testing.T) {
	const text = `controller_runtime_reconcile_time_seconds_bucket{controller="application",le="0.1"} 50
controller_runtime_reconcile_time_seconds_bucket{controller="application",le="0.2"} 100
controller_runtime_reconcile_time_seconds_bucket{controller="application",le="+Inf"} 100
controller_runtime_reconcile_time_seconds_bucket{controller="helmrelease",le="0.1"} 0
controller_runtime_reconcile_time_seconds_bucket{controller="helmrelease",le="0.2"} 0
controller_runtime_reconcile_time_seconds_bucket{controller="helmrelease",le="+Inf"} 900
`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(text)) }))
	defer srv.Close()
	p50, p99, count, err := reconcileQuantiles(srv.URL, "controller_runtime_reconcile_time_seconds")
	if err != nil || count != 100 || math.Abs(p50-0.1) > 1e-9 || math.Abs(p99-0.198) > 1e-9 {
		t.Fatalf("p50 %v, p99 %v, count %v, err %v; want 0.1, 0.198, 100 (the application controller only)", p50, p99, count, err)
	}
}
