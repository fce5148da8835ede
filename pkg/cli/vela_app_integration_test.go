package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/embedded"
	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
	"velad.io/velad/pkg/application"
	"velad.io/velad/pkg/testenv"
)

// appEnv is the control plane the vela application commands run against; nil under -short.
var appEnv *testenv.Env

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	os.Exit(testenv.Run(m, &appEnv))
}

var crdsOnce sync.Once
var crdsErr error

// installCRDs creates the embedded core.oam.dev CRDs once and waits until Applications
// are served. (No controller runs: tests set the status the controller would.)
func installCRDs(c client.Client) error {
	crdsOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		files, err := fs.Glob(embedded.CRDs(), "*.yaml")
		if err != nil {
			crdsErr = err
			return
		}
		for _, f := range files {
			data, err := fs.ReadFile(embedded.CRDs(), f)
			if err != nil {
				crdsErr = err
				return
			}
			objs, err := application.DecodeManifests(f, data)
			if err != nil {
				crdsErr = err
				return
			}
			for _, o := range objs {
				if err := c.Create(ctx, o); err != nil && !apierrors.IsAlreadyExists(err) {
					crdsErr = fmt.Errorf("creating CRD %s: %w", o.GetName(), err)
					return
				}
			}
		}
		for {
			var list v1beta1.ApplicationList
			var revs v1beta1.ApplicationRevisionList
			var rts v1beta1.ResourceTrackerList
			if crdsErr = c.List(ctx, &list); crdsErr == nil {
				if crdsErr = c.List(ctx, &revs); crdsErr == nil {
					if crdsErr = c.List(ctx, &rts); crdsErr == nil {
						return
					}
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	})
	return crdsErr
}

// velaRun runs a vela command line in-process and returns its output; appClient points
// it at appEnv.
func velaRun(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	streams := genericiooptions.IOStreams{In: strings.NewReader(stdin), Out: &out, ErrOut: &out}
	cmd := NewVelaCommand(streams)
	cmd.SetArgs(args)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := cmd.ExecuteContext(ctx)
	return out.String(), err
}

func mustVela(t *testing.T, args ...string) string {
	t.Helper()
	out, err := velaRun(t, "", args...)
	if err != nil {
		t.Fatalf("vela %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// appClient skips the test under -short, points the vela commands at appEnv for the rest
// of the test and returns a client for it with the OAM CRDs installed.
func appClient(t *testing.T) client.Client {
	t.Helper()
	if appEnv == nil {
		t.Skip("needs the embedded control plane (not under -short)")
	}
	t.Setenv("KUBECONFIG", appEnv.Kubeconfig)
	c, err := application.NewClient(appEnv.Config)
	if err != nil {
		t.Fatal(err)
	}
	if err := installCRDs(c); err != nil {
		t.Fatalf("installing the OAM CRDs: %v", err)
	}
	return c
}

// createNamespace creates the namespace name unless it exists.
func createNamespace(t *testing.T, c client.Client, name string) {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := c.Create(context.Background(), ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

func getApp(t *testing.T, c client.Client, ns, name string) *v1beta1.Application {
	t.Helper()
	app, err := application.Get(context.Background(), c, ns, name)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

// setStatus writes app's status through the status subresource, as the controller would.
func setStatus(t *testing.T, c client.Client, ns, name string, mutate func(*v1beta1.AppStatus)) *v1beta1.Application {
	t.Helper()
	app := getApp(t, c, ns, name)
	mutate(&app.Status)
	if err := c.Status().Update(context.Background(), app); err != nil {
		t.Fatalf("updating status of %s: %v", name, err)
	}
	return app
}

func contains(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

// conformanceFile is a file under the shared KubeVela conformance corpus.
func conformanceFile(t *testing.T, rel string) string {
	t.Helper()
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "..", "shared", "conformance", "kubevela", rel)
	if _, err := os.Stat(path); err != nil {
		t.Skipf("conformance corpus not available: %v", err)
	}
	return path
}

func TestIntegrationUpListStatusDelete(t *testing.T) {
	c := appClient(t)
	ctx := context.Background()
	file := conformanceFile(t, "docs/examples/workflow/basic-app.yaml")

	out := mustVela(t, "up", "-f", file)
	contains(t, out, "Application default/application-sample applied", "vela status application-sample")
	app := getApp(t, c, "default", "application-sample")
	if len(app.Spec.Components) != 2 || app.Spec.Workflow == nil || len(app.Spec.Workflow.Steps) != 2 {
		t.Fatalf("spec not applied as written: %+v", app.Spec)
	}
	if !managedBy(app, application.FieldManager) {
		t.Fatalf("want fields managed by %s, got %+v", application.FieldManager, app.ManagedFields)
	}

	// Updating: same file with a changed property is a new generation of the same object.
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	changed := filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(changed, bytes.Replace(data, []byte("1.14.2"), []byte("1.25.0"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	mustVela(t, "up", "-f", changed)
	updated := getApp(t, c, "default", "application-sample")
	if updated.UID != app.UID || updated.Generation != app.Generation+1 {
		t.Fatalf("want the same object at generation %d, got uid %s generation %d", app.Generation+1, updated.UID, updated.Generation)
	}
	if !strings.Contains(string(updated.Spec.Components[0].Properties.Raw), "1.25.0") {
		t.Fatalf("property not updated: %s", updated.Spec.Components[0].Properties.Raw)
	}

	setStatus(t, c, "default", "application-sample", func(s *v1beta1.AppStatus) {
		s.Phase = v1beta1.ApplicationRunning
		s.Services = []v1beta1.ApplicationComponentStatus{
			{Name: "server1", Namespace: "default", Cluster: "local", Healthy: true, Message: "Ready:1/1",
				Traits: []v1beta1.ApplicationTraitStatus{{Type: "scaler", Healthy: true}}},
			{Name: "server2", Namespace: "default", Healthy: false, Message: "Ready:0/1"},
		}
		s.Workflow = &v1beta1.WorkflowStatus{Mode: "StepByStep-DAG", Phase: v1beta1.WorkflowRunSucceeded, Finished: true,
			Steps: []v1beta1.WorkflowStepStatus{
				{StepStatus: v1beta1.StepStatus{ID: "a1", Name: "deploy-server1", Type: "custom-apply-component", Phase: v1beta1.WorkflowStepPhaseSucceeded}},
				{StepStatus: v1beta1.StepStatus{ID: "a2", Name: "deploy-server2", Type: "apply-with-ip", Phase: v1beta1.WorkflowStepPhaseSucceeded}},
			}}
	})

	out = mustVela(t, "ls")
	contains(t, out, "APP", "COMPONENT", "TYPE", "TRAITS", "PHASE", "HEALTHY", "STATUS", "CREATED-TIME",
		"application-sample", "server1", "├─", "server2", "singleton-server", "running", "healthy", "unhealthy", "Ready:1/1")
	out = mustVela(t, "ls", "-A")
	contains(t, out, "NAMESPACE", "default")

	out = mustVela(t, "status", "application-sample")
	contains(t, out, "About:", "Name:", "application-sample", "Namespace:", "Created at:", "Status:", "running",
		"Workflow:", "mode: StepByStep-DAG", "finished: true", "Suspend: false", "Terminated: false",
		"name: deploy-server1", "phase: succeeded",
		"Services:", "- Name: server1", "Cluster: local  Namespace: default", "Type: singleton-server", "Healthy Ready:1/1",
		"✅ scaler", "Unhealthy Ready:0/1", "No trait applied")

	out = mustVela(t, "status", "application-sample", "-o", "json")
	var decoded v1beta1.Application
	if err := json.Unmarshal([]byte(out), &decoded); err != nil || decoded.Status.Phase != v1beta1.ApplicationRunning || decoded.Kind != "Application" {
		t.Fatalf("-o json is not the Application (%v):\n%s", err, out)
	}

	testTree(t, c, updated)

	if out, err := velaRun(t, "n\n", "delete", "application-sample"); err == nil || !strings.Contains(err.Error(), "-y") {
		t.Fatalf("delete without confirmation must refuse and mention -y, got %v\n%s", err, out)
	}
	out = mustVela(t, "delete", "application-sample", "-y", "--wait", "--timeout", "30s")
	contains(t, out, "application default/application-sample deleted", "is gone")
	if _, err := application.Get(ctx, c, "default", "application-sample"); !application.IsNotFound(err) {
		t.Fatalf("want the application gone, got %v", err)
	}
}

// testTree checks `vela status --tree` over a ResourceTracker listing one live and one
// missing resource.
func testTree(t *testing.T, c client.Client, app *v1beta1.Application) {
	t.Helper()
	ctx := context.Background()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "server1-config", Namespace: "default"}}
	if err := c.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	rt := &v1beta1.ResourceTracker{
		ObjectMeta: metav1.ObjectMeta{Name: app.Name + "-v1-default", Labels: map[string]string{
			oam.LabelAppName: app.Name, oam.LabelAppNamespace: app.Namespace}},
		Spec: v1beta1.ResourceTrackerSpec{Type: v1beta1.ResourceTrackerTypeVersioned, ApplicationGeneration: app.Generation,
			ManagedResources: []v1beta1.ManagedResource{
				{ClusterObjectReference: v1beta1.ClusterObjectReference{ObjectReference: corev1.ObjectReference{
					APIVersion: "v1", Kind: "ConfigMap", Namespace: "default", Name: "server1-config"}},
					OAMObjectReference: v1beta1.OAMObjectReference{Component: "server1"}},
				{ClusterObjectReference: v1beta1.ClusterObjectReference{ObjectReference: corev1.ObjectReference{
					APIVersion: "apps/v1", Kind: "Deployment", Namespace: "default", Name: "server2"}},
					OAMObjectReference: v1beta1.OAMObjectReference{Component: "server2"}},
			}},
	}
	if err := c.Create(ctx, rt); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(ctx, rt); _ = c.Delete(ctx, cm) })
	out := mustVela(t, "status", app.Name, "--tree", "--detail")
	contains(t, out, "CLUSTER", "NAMESPACE", "RESOURCE", "STATUS", "local", "default",
		"ConfigMap/server1-config", "updated", "Deployment/server2", "not found", "server1")
	var res []application.Resource
	out = mustVela(t, "status", app.Name, "--tree", "-o", "json")
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 2 {
		t.Fatalf("--tree -o json: want 2 resources (%v):\n%s", err, out)
	}
}

func managedBy(app *v1beta1.Application, manager string) bool {
	for _, f := range app.ManagedFields {
		if f.Manager == manager && f.Operation == metav1.ManagedFieldsOperationApply {
			return true
		}
	}
	return false
}

func TestIntegrationUpOneComponentAndWait(t *testing.T) {
	c := appClient(t)
	done := make(chan struct{})
	var out string
	var err error
	go func() {
		defer close(done)
		out, err = velaRun(t, "", "up", "waiter", "--type", "webservice", "--image", "nginx:1.27", "--port", "80", "--wait", "--timeout", "30s")
	}()
	app := waitExists(t, c, "default", "waiter")
	props := map[string]any{}
	if err := json.Unmarshal(app.Spec.Components[0].Properties.Raw, &props); err != nil || props["image"] != "nginx:1.27" || props["port"] != 80.0 {
		t.Fatalf("want image and port properties, got %s (%v)", app.Spec.Components[0].Properties.Raw, err)
	}
	time.Sleep(time.Second) // the waiter sees a phase-less app first
	setStatus(t, c, "default", "waiter", func(s *v1beta1.AppStatus) {
		s.ObservedGeneration = app.Generation
		s.Phase = v1beta1.ApplicationRunning
		s.Services = []v1beta1.ApplicationComponentStatus{{Name: "waiter", Healthy: true}}
		s.Workflow = &v1beta1.WorkflowStatus{Mode: "StepByStep", Phase: v1beta1.WorkflowRunSucceeded, Finished: true}
	})
	<-done
	if err != nil {
		t.Fatalf("vela up --wait: %v\n%s", err, out)
	}
	contains(t, out, "waiting for waiter", "application default/waiter is running (1/1 services healthy)")

	// A failed workflow ends the wait with the status message.
	setStatus(t, c, "default", "waiter", func(s *v1beta1.AppStatus) {
		s.Phase = v1beta1.ApplicationWorkflowFailed
		s.Workflow = &v1beta1.WorkflowStatus{Message: "step deploy failed", Steps: []v1beta1.WorkflowStepStatus{
			{StepStatus: v1beta1.StepStatus{ID: "d", Name: "deploy", Phase: v1beta1.WorkflowStepPhaseFailed, Message: "image pull refused"}}}}
	})
	out, err = velaRun(t, "", "up", "waiter", "--type", "webservice", "--image", "nginx:1.27", "--port", "80", "--wait", "--timeout", "10s")
	if err == nil || !strings.Contains(err.Error(), "workflowFailed") || !strings.Contains(err.Error(), "image pull refused") {
		t.Fatalf("want the failure message, got %v\n%s", err, out)
	}

	// Bad input: the controller reports it in a false condition at the new generation.
	setStatus(t, c, "default", "waiter", func(s *v1beta1.AppStatus) {
		s.Phase = v1beta1.ApplicationRendering
		s.Workflow = nil
		s.SetConditions(v1beta1.Condition{Type: v1beta1.ConditionParsed, Status: "False", Reason: v1beta1.ReasonReconcileError,
			Message: `component "waiter": ComponentDefinition "webservise" not found`})
	})
	out, err = velaRun(t, "", "up", "waiter", "--type", "webservise", "--wait", "--timeout", "10s")
	if err == nil || !strings.Contains(err.Error(), `Parsed: component "waiter": ComponentDefinition "webservise" not found`) {
		t.Fatalf("want the bad-input condition, got %v\n%s", err, out)
	}
	contains(t, mustVela(t, "status", "waiter"), `Error:     Parsed: component "waiter": ComponentDefinition "webservise" not found`)
	contains(t, mustVela(t, "ls"), `rendering`, `Parsed: component "waiter": ComponentDefinition "webservise" not found`)
}

func waitExists(t *testing.T, c client.Client, ns, name string) *v1beta1.Application {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		app, err := application.Get(context.Background(), c, ns, name)
		if err == nil {
			return app
		}
		if time.Now().After(deadline) {
			t.Fatalf("application %s/%s never appeared: %v", ns, name, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestIntegrationUpDefinitionsInFile(t *testing.T) {
	c := appClient(t)
	file := filepath.Join(t.TempDir(), "app.yaml")
	data := `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: uses-def
spec:
  components:
  - name: uses-def
    type: my-worker
---
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata:
  name: my-worker
  namespace: default
spec:
  workload:
    definition: {apiVersion: apps/v1, kind: Deployment}
  schematic:
    cue:
      template: |
        output: {apiVersion: "apps/v1", kind: "Deployment"}
`
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustVela(t, "up", "-f", file)
	if strings.Index(out, "ComponentDefinition default/my-worker applied") > strings.Index(out, "Application default/uses-def applied") {
		t.Fatalf("definitions must be applied before the applications that use them:\n%s", out)
	}
	var def v1beta1.ComponentDefinition
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: "my-worker"}, &def); err != nil {
		t.Fatal(err)
	}

	basic := conformanceFile(t, "docs/examples/workflow/basic-app.yaml")
	if _, err := velaRun(t, "", "up", "-f", basic, "-n", "other"); err == nil || !strings.Contains(err.Error(), `is in namespace "default" but -n says "other"`) {
		t.Fatalf("want a namespace conflict, got %v", err)
	}
	_, err := velaRun(t, "", "up", "lost", "--type", "webservice", "-n", "nowhere")
	if err == nil || !strings.Contains(err.Error(), `namespace "nowhere" does not exist: create it with kubectl create namespace nowhere`) {
		t.Fatalf("want a missing-namespace hint, got %v", err)
	}
}

func TestIntegrationBadInput(t *testing.T) {
	appClient(t)
	want := `application "nope" not found in namespace "default": list them with vela ls -A`
	for _, args := range [][]string{
		{"status", "nope"}, {"delete", "nope", "-y"}, {"workflow", "resume", "nope"}, {"workflow", "logs", "nope"}, {"logs", "nope"},
	} {
		if _, err := velaRun(t, "", args...); err == nil || err.Error() != want {
			t.Errorf("vela %s: want %q, got %v", strings.Join(args, " "), want, err)
		}
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	data := "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: ok\nspec:\n  components: []\n---\napiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: broken\n    namespace: x\n"
	if err := os.WriteFile(bad, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := velaRun(t, "", "up", "-f", bad)
	if err == nil || !strings.HasPrefix(err.Error(), bad+":12: ") {
		t.Fatalf("want an error naming %s:12, got %v", bad, err)
	}
	schema := filepath.Join(t.TempDir(), "schema.yaml")
	data = "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: typo\nspec:\n  component: []\n"
	if err := os.WriteFile(schema, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := velaRun(t, "", "up", "-f", schema); err == nil || !strings.HasPrefix(err.Error(), schema+": applying Application default/typo") || !strings.Contains(err.Error(), "component") {
		t.Fatalf("want the schema error with the file, got %v", err)
	}
	if _, err := velaRun(t, "kind: Application\n  bad: indent\n", "up", "-f", "-"); err == nil || !strings.HasPrefix(err.Error(), "stdin:2: ") {
		t.Fatalf("want an error naming stdin:2, got %v", err)
	}
	if out, err := velaRun(t, "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: piped}\nspec: {components: []}\n", "up", "-f", "-"); err != nil {
		t.Fatalf("vela up -f - : %v\n%s", err, out)
	}
	if _, err := velaRun(t, "", "up", "-f", filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("want an error naming the missing file, got %v", err)
	}
}

func TestIntegrationDeleteWaitTimesOutOnFinalizer(t *testing.T) {
	c := appClient(t)
	ctx := context.Background()
	mustVela(t, "up", "held", "--type", "webservice", "--image", "nginx:1.27")
	app := getApp(t, c, "default", "held")
	app.Finalizers = []string{oam.FinalizerResourceTracker}
	if err := c.Update(ctx, app); err != nil {
		t.Fatal(err)
	}
	_, err := velaRun(t, "", "delete", "held", "-y", "--wait", "--timeout", "2s")
	if err == nil || !strings.Contains(err.Error(), "is not gone after 2s") || !strings.Contains(err.Error(), oam.FinalizerResourceTracker) {
		t.Fatalf("want a timeout naming the finalizer, got %v", err)
	}
	app = getApp(t, c, "default", "held")
	app.Finalizers = nil
	if err := c.Update(ctx, app); err != nil {
		t.Fatal(err)
	}
}
