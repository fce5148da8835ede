package controller_test

import (
	"fmt"
	"testing"
	"time"

	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

// reconcileCount is the number of reconciles the controller has run so far.
func reconcileCount(t *testing.T) uint64 {
	t.Helper()
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, f := range families {
		if f.GetName() == "velad_application_reconcile_duration_seconds" {
			for _, m := range f.GetMetric() {
				n += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return n
}

// TestIntegrationReconcilesPerApplication delivers 20 Applications (a webservice with two
// traits each, as the benchmark) and counts the reconciles it took: the controller's own
// writes (finalizer, checkpoints, status) must not each cost another reconcile.
func TestIntegrationReconcilesPerApplication(t *testing.T) {
	setup(t)
	const n = 20
	before := reconcileCount(t)
	for i := 0; i < n; i++ {
		create(t, fmt.Sprintf(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: counted-%d}
spec:
  components:
  - name: counted-%d
    type: webservice
    properties: {image: nginx}
    traits: [{type: scaler, properties: {replicas: 1}}, {type: labels, properties: {batch: counted}}]
`, i, i))
	}
	for i := 0; i < n; i++ {
		waitPhase(t, fmt.Sprintf("counted-%d", i), v1beta1.ApplicationRunning)
	}
	time.Sleep(3 * time.Second) // let the last events arrive
	per := float64(reconcileCount(t)-before) / n
	t.Logf("%.1f reconciles per application", per)
	// The count includes other tests' Applications still settling, so the bound is loose:
	// it catches a write-reconcile loop, selfwrites_test.go pins the filtering itself.
	if per > 8 {
		t.Errorf("%.1f reconciles per application; want at most 8", per)
	}
}
