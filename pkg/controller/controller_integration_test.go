package controller_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
	vscheme "velad.io/velad/pkg/apis/scheme"
	"velad.io/velad/pkg/appfile"
	"velad.io/velad/pkg/controller"
	"velad.io/velad/pkg/controller/bootstrap"
	"velad.io/velad/pkg/testenv"
	"velad.io/velad/pkg/workflow"
)

var (
	env *testenv.Env
	c   client.Client
)

// TestMain also serves as the member cluster of the multi-cluster tests
// (testenv.StartChild re-executes this binary).
func TestMain(m *testing.M) {
	testenv.RunChildIfRequested()
	os.Exit(testenv.Run(m, &env))
}

var (
	setupOnce sync.Once
	setupErr  error
	// stopController cancels the running manager and waits until it stopped.
	stopController func()
)

// setup installs the CRDs and built-in definitions and runs the controller,
// once for the whole test binary.
func setup(t *testing.T) {
	t.Helper()
	setupOnce.Do(func() { setupErr = startController() })
	if setupErr != nil {
		t.Fatal(setupErr)
	}
}

func startController() error {
	if err := installDefinitions(context.Background(), env.Config); err != nil {
		return err
	}
	return runManager()
}

// runManager starts a new controller manager (a fresh process, as far as the
// controller can tell) and sets c and stopController.
func runManager() error {
	ctx, cancel := context.WithCancel(context.Background())
	log := logr.Discard()
	if os.Getenv("VELAD_TEST_LOG") != "" {
		log = funcr.New(func(prefix, args string) { fmt.Fprintln(os.Stderr, prefix, args) }, funcr.Options{Verbosity: 1})
	}
	mgr, err := controller.NewManager(ctx, env.Config, controller.Options{
		Logger:   &log,
		Workflow: workflow.Options{WaitInterval: time.Second, BackoffBase: 200 * time.Millisecond, BackoffMax: time.Second, MaxRetries: 3},
		// Every integration test runs on compressed revisions and trackers (the uncompressed
		// format is what the e2e tests and KubeVela-format fixtures cover).
		RevisionCompression: "zstd",
		TrackerCompression:  "gzip",
	})
	if err != nil {
		cancel()
		return err
	}
	c = mgr.GetClient()
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			panic(err)
		}
	}()
	stopController = func() { cancel(); <-done }
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return fmt.Errorf("caches did not sync")
	}
	return nil
}

// installDefinitions runs the lead's bootstrap for the CRDs, then applies the
// built-in definitions itself with label values made strings, so a definition
// bootstrap rejects does not stop these tests.
func installDefinitions(ctx context.Context, cfg *rest.Config) error {
	if err := bootstrap.Install(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bootstrap (continuing with own definition install):", err)
	}
	defs, err := appfile.Builtin()
	if err != nil {
		return err
	}
	scheme, err := vscheme.New()
	if err != nil {
		return err
	}
	cl, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	for _, kind := range appfile.DefinitionKinds {
		list, err := defs.List(ctx, kind, "default")
		if err != nil {
			return err
		}
		for _, d := range list {
			u := d.Object.DeepCopy()
			if labels, ok := u.Object["metadata"].(map[string]any)["labels"].(map[string]any); ok {
				for k, v := range labels {
					labels[k] = fmt.Sprint(v)
				}
			}
			u.SetNamespace("vela-system")
			//nolint:staticcheck // unstructured server-side apply
			if err := cl.Patch(ctx, u, client.Apply, client.FieldOwner("test"), client.ForceOwnership); err != nil {
				return fmt.Errorf("installing %s %s: %w", kind, d.Name, err)
			}
		}
	}
	return nil
}

func create(t *testing.T, manifest string) *v1beta1.Application {
	t.Helper()
	app := &v1beta1.Application{}
	if err := yaml.Unmarshal([]byte(manifest), app); err != nil {
		t.Fatal(err)
	}
	if app.Namespace == "" {
		app.Namespace = "default"
	}
	if err := c.Create(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	return app
}

// waitFor polls the Application until cond holds, failing with its status after timeout.
func waitFor(t *testing.T, name string, timeout time.Duration, what string, cond func(*v1beta1.Application) bool) *v1beta1.Application {
	t.Helper()
	deadline := time.Now().Add(timeout)
	app := &v1beta1.Application{}
	for {
		err := c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, app)
		if err == nil && cond(app) {
			return app
		}
		if time.Now().After(deadline) {
			t.Fatalf("application %s: not %s after %s (err %v): phase %q conditions %+v workflow %s", name, what, timeout, err, app.Status.Phase, app.Status.Conditions, workflowSummary(app))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func waitPhase(t *testing.T, name string, phase v1beta1.ApplicationPhase) *v1beta1.Application {
	t.Helper()
	return waitFor(t, name, 90*time.Second, string(phase), func(a *v1beta1.Application) bool { return a.Status.Phase == phase })
}

func workflowSummary(app *v1beta1.Application) string {
	if app.Status.Workflow == nil {
		return "<none>"
	}
	var b strings.Builder
	for _, s := range app.Status.Workflow.Steps {
		fmt.Fprintf(&b, "[%s %s %s %q]", s.Name, s.Phase, s.Reason, s.Message)
		for _, sub := range s.SubStepsStatus {
			fmt.Fprintf(&b, "(%s %s %s %q)", sub.Name, sub.Phase, sub.Reason, sub.Message)
		}
	}
	return b.String()
}

func TestIntegrationWebserviceWithTraitsRuns(t *testing.T) {
	setup(t)
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: web-traits}
spec:
  components:
  - name: frontend
    type: webservice
    properties: {image: nginx:1.25, port: 80}
    traits:
    - {type: scaler, properties: {replicas: 2}}
    - {type: labels, properties: {tier: web}}
`)
	app := waitPhase(t, "web-traits", v1beta1.ApplicationRunning)
	if app.Status.ObservedGeneration != app.Generation || app.Status.LatestRevision == nil || app.Status.LatestRevision.Name != "web-traits-v1" {
		t.Errorf("observedGeneration %d/%d, latestRevision %+v", app.Status.ObservedGeneration, app.Generation, app.Status.LatestRevision)
	}
	if len(app.Status.Services) != 1 || !app.Status.Services[0].Healthy || app.Status.Services[0].Name != "frontend" || len(app.Status.Services[0].Traits) != 2 {
		t.Errorf("services = %+v", app.Status.Services)
	}
	if s := app.Status.Workflow.Steps; len(s) != 1 || s[0].Phase != v1beta1.WorkflowStepPhaseSucceeded || s[0].FirstExecuteTime.IsZero() {
		t.Errorf("workflow = %s", workflowSummary(app))
	}
	var d appsv1.Deployment // as the API server has it: the manager's cache keeps no managedFields
	if err := direct(t).Get(context.Background(), client.ObjectKey{Namespace: "default", Name: "frontend"}, &d); err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 2 || d.Spec.Template.Labels["tier"] != "web" || d.Labels["app.oam.dev/name"] != "web-traits" ||
		d.Labels["app.oam.dev/component"] != "frontend" || d.Labels["workload.oam.dev/type"] != "webservice" || d.Labels["app.oam.dev/appRevision"] != "web-traits-v1" {
		t.Errorf("deployment replicas %d, labels %v, pod labels %v", *d.Spec.Replicas, d.Labels, d.Spec.Template.Labels)
	}
	managedBy := ""
	for _, mf := range d.ManagedFields {
		if mf.Operation == "Apply" {
			managedBy = mf.Manager
		}
	}
	if managedBy != controller.FieldManager {
		t.Errorf("applied by %q, want server-side apply by %q", managedBy, controller.FieldManager)
	}
	var rts v1beta1.ResourceTrackerList
	if err := c.List(context.Background(), &rts, client.MatchingLabels{"app.oam.dev/name": "web-traits"}); err != nil || len(rts.Items) != 1 {
		t.Errorf("resource trackers: %d, %v (want only the versioned one: nothing is kept in a root tracker)", len(rts.Items), err)
	}
}

func TestIntegrationSuspendThenResume(t *testing.T) {
	setup(t)
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: suspended}
spec:
  components:
  - {name: suspended-web, type: webservice, properties: {image: nginx}}
  workflow:
    steps:
    - {name: approve, type: suspend}
    - {name: deploy-web, type: apply-component, properties: {component: suspended-web}}
`)
	app := waitPhase(t, "suspended", v1beta1.ApplicationWorkflowSuspending)
	if !app.Status.Workflow.Suspend || app.Status.Workflow.Steps[0].Phase != v1beta1.WorkflowStepPhaseSuspending {
		t.Fatalf("workflow %+v", app.Status.Workflow)
	}
	// vela workflow resume
	app.Status.Workflow.Suspend = false
	if err := c.Status().Update(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	app = waitPhase(t, "suspended", v1beta1.ApplicationRunning)
	if app.Status.Workflow.Steps[0].Phase != v1beta1.WorkflowStepPhaseSucceeded {
		t.Errorf("workflow %s", workflowSummary(app))
	}
}

func TestIntegrationStepGroupDependsOnAndWebhookOnce(t *testing.T) {
	setup(t)
	var hits atomic.Int32
	var body atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprintln(os.Stderr, "WEBHOOK HIT", time.Now())
		b, _ := io.ReadAll(r.Body)
		body.Store(string(b))
	}))
	defer srv.Close()
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: grouped}
spec:
  components:
  - {name: grouped-db, type: webservice, properties: {image: postgres}}
  - {name: grouped-api, type: webservice, properties: {image: api}}
  workflow:
    mode: {steps: DAG, subSteps: DAG}
    steps:
    - name: notify
      type: webhook
      dependsOn: [apply-all]
      inputs: [{from: db-replicas, parameterKey: data.replicas}]
      properties: {url: {value: "`+srv.URL+`"}}
    - name: apply-all
      type: step-group
      subSteps:
      - name: db
        type: apply-component
        properties: {component: grouped-db}
        outputs: [{name: db-replicas, valueFrom: output.status.readyReplicas}]
      - {name: api, type: apply-component, properties: {component: grouped-api}, dependsOn: [db]}
`)
	app := waitPhase(t, "grouped", v1beta1.ApplicationRunning)
	subs := app.Status.Workflow.Steps[1].SubStepsStatus
	if len(subs) != 2 || subs[0].Phase != v1beta1.WorkflowStepPhaseSucceeded || subs[1].FirstExecuteTime.Before(&subs[0].LastExecuteTime) {
		t.Errorf("sub-steps: %s", workflowSummary(app))
	}
	time.Sleep(2 * time.Second) // further reconciles must not call the webhook again
	if hits.Load() != 1 || body.Load() != `{"replicas":1}` {
		t.Errorf("webhook hit %d times, body %v", hits.Load(), body.Load())
	}
}

func TestIntegrationBadAppGetsConditionGoodAppRuns(t *testing.T) {
	setup(t)
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: bad-type}
spec:
  components:
  - {name: broken, type: no-such-type, properties: {image: nginx}}
`)
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: bad-param}
spec:
  components:
  - {name: noimage, type: webservice, properties: {port: 80}}
`)
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: good-neighbour}
spec:
  components:
  - {name: neighbour, type: webservice, properties: {image: nginx}}
`)
	app := waitFor(t, "bad-type", 30*time.Second, "parse error", func(a *v1beta1.Application) bool {
		return a.Status.GetCondition(v1beta1.ConditionParsed).Status == "False"
	})
	if msg := app.Status.GetCondition(v1beta1.ConditionParsed).Message; !strings.Contains(msg, `ComponentDefinition "no-such-type" not found`) {
		t.Errorf("parse condition: %q", msg)
	}
	// the finalizer is written while the app is parsed, and is there when parsing fails too
	if !slices.Contains(app.Finalizers, oam.FinalizerResourceTracker) {
		t.Errorf("an app with bad input must carry the finalizer too, has %v", app.Finalizers)
	}
	app = waitFor(t, "bad-param", 30*time.Second, "render error", func(a *v1beta1.Application) bool {
		return a.Status.GetCondition(v1beta1.ConditionRender).Status == "False"
	})
	if msg := app.Status.GetCondition(v1beta1.ConditionRender).Message; !strings.Contains(msg, "image") {
		t.Errorf("render condition: %q", msg)
	}
	waitPhase(t, "good-neighbour", v1beta1.ApplicationRunning)
}

func TestIntegrationDeleteRemovesResources(t *testing.T) {
	setup(t)
	app := create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: doomed}
spec:
  components:
  - {name: doomed-web, type: webservice, properties: {image: nginx}}
`)
	waitPhase(t, "doomed", v1beta1.ApplicationRunning)
	if err := c.Delete(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var d appsv1.Deployment
		errD := c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: "doomed-web"}, &d)
		errA := c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: "doomed"}, &v1beta1.Application{})
		if apierrors.IsNotFound(errD) && apierrors.IsNotFound(errA) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after delete: deployment err %v, application err %v", errD, errA)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if names := trackerNames(t, "doomed"); len(names) != 0 {
		t.Errorf("resource trackers left: %v", names)
	}
}

func TestIntegrationControllerRestartResumesWithoutRepeatingSteps(t *testing.T) {
	setup(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: crashy}
spec:
  components:
  - {name: crashy-web, type: webservice, properties: {image: nginx}}
  workflow:
    steps:
    - {name: hook, type: webhook, properties: {url: {value: "`+srv.URL+`"}, data: {x: 1}}}
    - {name: hold, type: suspend}
    - {name: deploy, type: apply-component, properties: {component: crashy-web}}
`)
	app := waitPhase(t, "crashy", v1beta1.ApplicationWorkflowSuspending)
	stopController()
	app.Status.Workflow.Suspend = false // resumed while the controller is down
	if err := c.Status().Update(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	if err := runManager(); err != nil {
		t.Fatal(err)
	}
	app = waitPhase(t, "crashy", v1beta1.ApplicationRunning)
	if hits.Load() != 1 {
		t.Errorf("webhook hit %d times across a controller restart", hits.Load())
	}
	if s := app.Status.Workflow.Steps; s[0].Phase != v1beta1.WorkflowStepPhaseSucceeded || s[1].Phase != v1beta1.WorkflowStepPhaseSucceeded {
		t.Errorf("workflow %s", workflowSummary(app))
	}
}

func TestIntegrationTerminateAndRestart(t *testing.T) {
	setup(t)
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: stoppable}
spec:
  components:
  - {name: stoppable-web, type: webservice, properties: {image: nginx}}
  workflow:
    steps:
    - {name: hold, type: suspend}
    - {name: deploy, type: apply-component, properties: {component: stoppable-web}}
`)
	app := waitPhase(t, "stoppable", v1beta1.ApplicationWorkflowSuspending)
	app.Status.Workflow.Terminated = true // vela workflow terminate
	if err := c.Status().Update(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	app = waitPhase(t, "stoppable", v1beta1.ApplicationWorkflowTerminated)
	if r := app.Status.Workflow.Steps[0].Reason; r != workflow.ReasonTerminate {
		t.Errorf("step reason %q after terminate", r)
	}
	app.Annotations = map[string]string{"app.oam.dev/restart-workflow": "true"} // vela workflow restart
	if err := c.Update(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	app = waitFor(t, "stoppable", 60*time.Second, "suspended again", func(a *v1beta1.Application) bool {
		return a.Status.Phase == v1beta1.ApplicationWorkflowSuspending && a.Annotations["app.oam.dev/restart-workflow"] == "" &&
			!a.Status.Workflow.Terminated
	})
}
