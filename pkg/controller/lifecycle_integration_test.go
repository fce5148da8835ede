package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/controller"
)

func TestIntegrationSpecChangeMakesNewRevision(t *testing.T) {
	setup(t)
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: evolving}
spec:
  components:
  - name: evolving-web
    type: webservice
    properties: {image: nginx}
    traits: [{type: scaler, properties: {replicas: 1}}]
`)
	app := waitPhase(t, "evolving", v1beta1.ApplicationRunning)
	if len(app.Status.AppliedResources) == 0 {
		t.Errorf("no appliedResources in status")
	}
	app.Spec.Components[0].Traits[0].Properties = &runtime.RawExtension{Raw: []byte(`{"replicas":3}`)}
	if err := c.Update(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	app = waitFor(t, "evolving", 90*time.Second, "running at v2", func(a *v1beta1.Application) bool {
		return a.Status.Phase == v1beta1.ApplicationRunning && a.Status.LatestRevision != nil &&
			a.Status.LatestRevision.Name == "evolving-v2" && a.Status.ObservedGeneration == a.Generation
	})
	var d appsv1.Deployment
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: "evolving-web"}, &d); err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 3 || d.Labels["app.oam.dev/appRevision"] != "evolving-v2" {
		t.Errorf("after update: replicas %d, labels %v", *d.Spec.Replicas, d.Labels)
	}
	var revs v1beta1.ApplicationRevisionList
	if err := c.List(context.Background(), &revs, client.InNamespace("default"), client.MatchingLabels{"app.oam.dev/name": "evolving"}); err != nil || len(revs.Items) != 2 {
		t.Errorf("revisions: %d, %v", len(revs.Items), err)
	}
	// A reconcile without a spec change (an annotation) keeps the revision.
	app.Annotations = map[string]string{"touched": "yes"}
	if err := c.Update(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	app = waitPhase(t, "evolving", v1beta1.ApplicationRunning)
	if app.Status.LatestRevision.Name != "evolving-v2" {
		t.Errorf("an annotation made revision %s", app.Status.LatestRevision.Name)
	}
}

// TestIntegrationManyAppsBadOnesDoNotBlock creates 50 good and 5 bad
// Applications together: every good one runs, every bad one has a condition.
func TestIntegrationManyAppsBadOnesDoNotBlock(t *testing.T) {
	setup(t)
	start := time.Now()
	const good, bad = 50, 5
	for i := 0; i < good; i++ {
		create(t, fmt.Sprintf(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: many-%d}
spec:
  components:
  - name: many-%d
    type: webservice
    properties: {image: nginx}
    traits: [{type: scaler, properties: {replicas: 1}}, {type: labels, properties: {batch: many}}]
`, i, i))
	}
	for i := 0; i < bad; i++ {
		create(t, fmt.Sprintf(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: many-bad-%d}
spec:
  components:
  - {name: c, type: webservice, properties: {image: nginx}, traits: [{type: no-such-trait}]}
`, i))
	}
	for i := 0; i < good; i++ {
		waitPhase(t, fmt.Sprintf("many-%d", i), v1beta1.ApplicationRunning)
	}
	t.Logf("%d applications running after %s", good, time.Since(start))
	for i := 0; i < bad; i++ {
		app := waitFor(t, fmt.Sprintf("many-bad-%d", i), 30*time.Second, "parse error", func(a *v1beta1.Application) bool {
			return a.Status.GetCondition(v1beta1.ConditionParsed).Status == "False"
		})
		if msg := app.Status.GetCondition(v1beta1.ConditionParsed).Message; !strings.Contains(msg, `TraitDefinition "no-such-trait" not found`) {
			t.Errorf("condition %q", msg)
		}
	}
}

func TestIntegrationMetricsAreRegistered(t *testing.T) {
	setup(t)
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: metered}
spec:
  components: [{name: metered, type: webservice, properties: {image: nginx}}]
`)
	waitPhase(t, "metered", v1beta1.ApplicationRunning)
	families, err := crmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, f := range families {
		found[f.GetName()] = true
		if f.GetName() != "velad_application_reconcile_duration_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			h := m.GetHistogram()
			if h.GetSampleCount() > 0 {
				t.Logf("reconciles %v: %d, mean %.1f ms", m.GetLabel(), h.GetSampleCount(), 1000*h.GetSampleSum()/float64(h.GetSampleCount()))
			}
		}
	}
	for _, name := range []string{"velad_application_reconcile_duration_seconds", "velad_workflow_step_duration_seconds", "velad_applications", "workqueue_depth"} {
		if !found[name] {
			t.Errorf("metric %s not registered", name)
		}
	}
}

func TestIntegrationEmbeddedControllerReportsReady(t *testing.T) {
	setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	ec := controller.NewEmbedded(controller.Options{})
	if ec.Name() != controller.Name {
		t.Errorf("name %q", ec.Name())
	}
	go func() { done <- ec.Start(ctx, env.Config, func() { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("embedded controller exited before ready: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("embedded controller not ready after 60s")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Start returned %v after cancel", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("embedded controller did not stop")
	}
}

func TestIntegrationDeployWithOverrideAndTopology(t *testing.T) {
	setup(t)
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: deployed}
spec:
  components:
  - name: deployed-web
    type: webservice
    properties: {image: nginx}
    traits: [{type: scaler, properties: {replicas: 1}}]
  policies:
  - {name: staging, type: topology, properties: {clusters: [local], namespace: staging}}
  - name: two-replicas
    type: override
    properties:
      components:
      - name: deployed-web
        properties: {image: "nginx:1.27"}
        traits: [{type: scaler, properties: {replicas: 2}}, {type: labels, properties: {env: staging}}]
`)
	app := waitPhase(t, "deployed", v1beta1.ApplicationRunning)
	if s := app.Status.Workflow.Steps; len(s) != 1 || s[0].Name != "deploy-staging" || s[0].Type != "deploy" {
		t.Errorf("default workflow %s", workflowSummary(app))
	}
	var d appsv1.Deployment
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "staging", Name: "deployed-web"}, &d); err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 2 || d.Spec.Template.Spec.Containers[0].Image != "nginx:1.27" || d.Spec.Template.Labels["env"] != "staging" {
		t.Errorf("overridden deployment: replicas %d, image %s, labels %v", *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Image, d.Spec.Template.Labels)
	}
}
