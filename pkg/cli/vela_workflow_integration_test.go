package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
	"velad.io/velad/pkg/application"
)

func step(id, name, typ string, phase v1beta1.WorkflowStepPhase, reason string) v1beta1.WorkflowStepStatus {
	return v1beta1.WorkflowStepStatus{StepStatus: v1beta1.StepStatus{ID: id, Name: name, Type: typ, Phase: phase, Reason: reason}}
}

func phases(app *v1beta1.Application) string {
	var out []string
	for _, s := range app.Status.Workflow.Steps {
		p := s.Name + "=" + string(s.Phase)
		if s.Reason != "" {
			p += "/" + s.Reason
		}
		for _, sub := range s.SubStepsStatus {
			p += "," + sub.Name + "=" + string(sub.Phase)
		}
		out = append(out, p)
	}
	return strings.Join(out, " ")
}

func TestIntegrationWorkflowOperations(t *testing.T) {
	c := appClient(t)
	mustVela(t, "up", "flow", "--type", "webservice", "--image", "nginx:1.27")
	setStatus(t, c, "default", "flow", func(s *v1beta1.AppStatus) {
		s.Phase = v1beta1.ApplicationWorkflowSuspending
		s.Services = []v1beta1.ApplicationComponentStatus{{Name: "flow", Healthy: true}}
		s.Workflow = &v1beta1.WorkflowStatus{Mode: "StepByStep-DAG", Phase: v1beta1.WorkflowRunSuspending, Suspend: true,
			Steps: []v1beta1.WorkflowStepStatus{
				step("s1", "deploy", "deploy", v1beta1.WorkflowStepPhaseSucceeded, ""),
				step("s2", "approve", "suspend", v1beta1.WorkflowStepPhaseSuspending, "Suspend"),
			}}
	})
	statusOnly := func(before, after *v1beta1.Application) {
		t.Helper()
		if after.Generation != before.Generation || after.Status.Phase != before.Status.Phase || len(after.Status.Services) != len(before.Status.Services) {
			t.Fatalf("only status.workflow may change: generation %d→%d, phase %s→%s", before.Generation, after.Generation, before.Status.Phase, after.Status.Phase)
		}
	}

	before := getApp(t, c, "default", "flow")
	contains(t, mustVela(t, "workflow", "resume", "flow"), "workflow resumed")
	app := getApp(t, c, "default", "flow")
	statusOnly(before, app)
	if wf := app.Status.Workflow; wf.Suspend || phases(app) != "deploy=succeeded approve=running/Suspend" {
		t.Fatalf("resume: want suspend=false and the suspend step running, got suspend=%v %s", wf.Suspend, phases(app))
	}
	contains(t, mustVela(t, "workflow", "resume", "flow"), "not suspended")

	contains(t, mustVela(t, "workflow", "suspend", "flow"), "workflow suspended", "vela workflow resume flow")
	app = getApp(t, c, "default", "flow")
	statusOnly(before, app)
	if !app.Status.Workflow.Suspend || phases(app) != "deploy=succeeded approve=suspending/Suspend" {
		t.Fatalf("suspend: want suspend=true and running steps suspending, got %v %s", app.Status.Workflow.Suspend, phases(app))
	}

	setStatus(t, c, "default", "flow", func(s *v1beta1.AppStatus) {
		s.Workflow.Steps = append(s.Workflow.Steps,
			step("s3", "retried", "webhook", v1beta1.WorkflowStepPhaseFailed, application.ReasonFailedAfterRetries),
			step("s4", "broken", "webhook", v1beta1.WorkflowStepPhaseFailed, "Execute"),
			v1beta1.WorkflowStepStatus{StepStatus: v1beta1.StepStatus{ID: "s5", Name: "group", Type: "step-group", Phase: v1beta1.WorkflowStepPhaseRunning},
				SubStepsStatus: []v1beta1.StepStatus{{ID: "s6", Name: "sub", Type: "apply-component", Phase: v1beta1.WorkflowStepPhaseRunning}}},
		)
	})
	contains(t, mustVela(t, "workflow", "terminate", "flow"), "workflow terminated")
	app = getApp(t, c, "default", "flow")
	statusOnly(before, app)
	want := "deploy=succeeded approve=failed/Terminate retried=failed/FailedAfterRetries broken=failed/Terminate group=failed/Terminate,sub=failed"
	if wf := app.Status.Workflow; !wf.Terminated || wf.Suspend || phases(app) != want {
		t.Fatalf("terminate: want terminated, not suspended, %s; got %v %v %s", want, wf.Terminated, wf.Suspend, phases(app))
	}
	if _, err := velaRun(t, "", "workflow", "resume", "flow"); err == nil || !strings.Contains(err.Error(), "terminated") {
		t.Fatalf("resuming a terminated workflow must fail, got %v", err)
	}

	contains(t, mustVela(t, "workflow", "restart", "flow"), "workflow restarted")
	app = getApp(t, c, "default", "flow")
	statusOnly(before, app)
	if app.Status.Workflow != nil {
		t.Fatalf("restart: want status.workflow cleared, got %+v", app.Status.Workflow)
	}
	if _, err := velaRun(t, "", "workflow", "suspend", "flow"); err == nil || !strings.Contains(err.Error(), "has not started") {
		t.Fatalf("suspending a workflow that has not started must say so, got %v", err)
	}
	setStatus(t, c, "default", "flow", func(s *v1beta1.AppStatus) {
		s.Workflow = &v1beta1.WorkflowStatus{Mode: "StepByStep", Finished: true, Phase: v1beta1.WorkflowRunSucceeded}
	})
	contains(t, mustVela(t, "workflow", "suspend", "flow"), "the workflow has finished; nothing to suspend")
	if getApp(t, c, "default", "flow").Status.Workflow.Suspend {
		t.Fatal("suspending a finished workflow must change nothing")
	}
}

func TestIntegrationRollbackAndPublishRevision(t *testing.T) {
	c := appClient(t)
	mustVela(t, "up", "rb", "--type", "webservice", "--image", "nginx:2")
	app := getApp(t, c, "default", "rb")
	revision(t, c, app, "rb-v1", "nginx:1", true, "1.0")
	revision(t, c, app, "rb-v2", "nginx:2", false, "")
	revision(t, c, app, "rb-v3", "nginx:3", false, "3.0")
	setStatus(t, c, "default", "rb", func(s *v1beta1.AppStatus) {
		s.Phase = v1beta1.ApplicationWorkflowFailed
		s.LatestRevision = &v1beta1.Revision{Name: "rb-v3", Revision: 3}
		s.Workflow = &v1beta1.WorkflowStatus{Mode: "StepByStep", Phase: v1beta1.WorkflowRunFailed, Finished: true,
			Steps: []v1beta1.WorkflowStepStatus{step("x", "deploy", "deploy", v1beta1.WorkflowStepPhaseFailed, "FailedAfterRetries")}}
	})
	out := mustVela(t, "revision", "list", "rb")
	contains(t, out, "NAME", "PUBLISH_VERSION", "rb-v1", "1.0", "true", "Succeeded", "rb-v3")
	contains(t, mustVela(t, "revision", "get", "rb", "v1"), "Name:            rb-v1", "Succeeded:       true", "nginx:1")

	contains(t, mustVela(t, "workflow", "rollback", "rb"), "rolled back to revision rb-v1")
	app = getApp(t, c, "default", "rb")
	if img := string(app.Spec.Components[0].Properties.Raw); !strings.Contains(img, "nginx:1") {
		t.Fatalf("rollback: want the spec of rb-v1, got %s", img)
	}
	if app.Annotations[oam.AnnotationPublishVersion] != "1.0" || app.Annotations[oam.AnnotationRollbackTo] != "rb-v1" {
		t.Fatalf("rollback: want publishVersion 1.0 from rb-v1 and the controller asked to roll back to it, got %v", app.Annotations)
	}
	var revs v1beta1.ApplicationRevisionList
	// The controller deletes the newer revisions when it consumes the annotation (no
	// controller runs here); the CLI leaves them, so a stale reconcile cannot re-create one.
	if err := c.List(context.Background(), &revs, client.InNamespace("default"), client.MatchingLabels{oam.LabelAppName: "rb"}); err != nil || len(revs.Items) != 3 {
		t.Fatalf("rollback: want the revisions left to the controller, got %d (%v)", len(revs.Items), err)
	}

	mustVela(t, "up", "rb", "--type", "webservice", "--image", "nginx:3")
	out = mustVela(t, "up", "rb", "--revision", "v2", "--publish-version", "2.1")
	contains(t, out, "publishing revision v2")
	app = getApp(t, c, "default", "rb")
	if !strings.Contains(string(app.Spec.Components[0].Properties.Raw), "nginx:2") || app.Annotations[oam.AnnotationPublishVersion] != "2.1" {
		t.Fatalf("up --revision: want rb-v2's spec published as 2.1, got %s %v", app.Spec.Components[0].Properties.Raw, app.Annotations)
	}
	if _, err := velaRun(t, "", "up", "rb", "--revision", "v9"); err == nil || !strings.Contains(err.Error(), `revision "rb-v9" of application "rb" not found`) {
		t.Fatalf("want a missing-revision error, got %v", err)
	}

	// --wait after publishing waits until the workflow runs that publish version.
	setStatus(t, c, "default", "rb", func(s *v1beta1.AppStatus) {
		s.Phase = v1beta1.ApplicationRunning
		s.ObservedGeneration = 100
		s.Workflow = &v1beta1.WorkflowStatus{Mode: "StepByStep", Phase: v1beta1.WorkflowRunSucceeded, Finished: true, AppRevision: "2.1"}
	})
	done := make(chan struct{})
	var out3 string
	var err3 error
	go func() {
		defer close(done)
		out3, err3 = velaRun(t, "", "up", "rb", "--revision", "v1", "--publish-version", "3.0", "--wait", "--timeout", "20s")
	}()
	time.Sleep(2 * time.Second)
	select {
	case <-done:
		t.Fatalf("the wait ended before the workflow ran publish version 3.0: %v\n%s", err3, out3)
	default:
	}
	setStatus(t, c, "default", "rb", func(s *v1beta1.AppStatus) { s.Workflow.AppRevision = "3.0" })
	<-done
	if err3 != nil || !strings.Contains(out3, "application default/rb is running") {
		t.Fatalf("want running once 3.0 ran, got %v\n%s", err3, out3)
	}

	// Rolling back a running workflow is refused.
	setStatus(t, c, "default", "rb", func(s *v1beta1.AppStatus) {
		s.Workflow = &v1beta1.WorkflowStatus{Mode: "StepByStep", Phase: v1beta1.WorkflowRunExecuting}
	})
	if _, err := velaRun(t, "", "workflow", "rollback", "rb"); err == nil || !strings.Contains(err.Error(), "still running") {
		t.Fatalf("want rollback of a running workflow refused, got %v", err)
	}
}

// revision creates the ApplicationRevision name of app with the given image.
func revision(t *testing.T, c client.Client, app *v1beta1.Application, name, image string, succeeded bool, publish string) {
	t.Helper()
	ctx := context.Background()
	snap := app.DeepCopy()
	snap.Spec.Components[0].Properties = &runtime.RawExtension{Raw: []byte(`{"image":"` + image + `"}`)}
	rev := &v1beta1.ApplicationRevision{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: app.Namespace,
		Labels: map[string]string{oam.LabelAppName: app.Name}}}
	if publish != "" {
		rev.Annotations = map[string]string{oam.AnnotationPublishVersion: publish}
	}
	rev.Spec.Application = v1beta1.Application{ObjectMeta: metav1.ObjectMeta{Name: app.Name, Namespace: app.Namespace}, Spec: snap.Spec}
	if err := c.Create(ctx, rev); err != nil {
		t.Fatal(err)
	}
	rev.Status = v1beta1.ApplicationRevisionStatus{Succeeded: succeeded, Workflow: &v1beta1.WorkflowStatus{
		Mode: "StepByStep", Finished: true, Phase: v1beta1.WorkflowRunSucceeded,
		Steps: []v1beta1.WorkflowStepStatus{step("x", "deploy", "deploy", v1beta1.WorkflowStepPhaseSucceeded, "")}}}
	if err := c.Status().Update(ctx, rev); err != nil {
		t.Fatal(err)
	}
}

// TestIntegrationRollbackDoesNotRollForward: a rollback while the revisions newer
// than the current one still exist (the controller had not removed them yet) goes
// back to an older successful revision, never forward to a newer one.
func TestIntegrationRollbackDoesNotRollForward(t *testing.T) {
	c := appClient(t)
	mustVela(t, "up", "rf", "--type", "webservice", "--image", "nginx:3")
	app := getApp(t, c, "default", "rf")
	for i, img := range []string{"nginx:1", "nginx:2", "nginx:3"} {
		revision(t, c, app, fmt.Sprintf("rf-v%d", i+1), img, true, "")
	}
	setStatus(t, c, "default", "rf", func(s *v1beta1.AppStatus) {
		s.Phase = v1beta1.ApplicationRunning
		s.LatestRevision = &v1beta1.Revision{Name: "rf-v2", Revision: 2}
		s.Workflow = &v1beta1.WorkflowStatus{Mode: "StepByStep", Phase: v1beta1.WorkflowRunSucceeded, Finished: true}
	})
	contains(t, mustVela(t, "workflow", "rollback", "rf"), "rolled back to revision rf-v1")
}

func TestIntegrationWorkflowLogs(t *testing.T) {
	c := appClient(t)
	ctx := context.Background()
	mustVela(t, "up", "logged", "--type", "webservice", "--image", "nginx:1.27")
	setStatus(t, c, "default", "logged", func(s *v1beta1.AppStatus) {
		s.Workflow = &v1beta1.WorkflowStatus{Mode: "StepByStep", Steps: []v1beta1.WorkflowStepStatus{
			step("a", "deploy", "deploy", v1beta1.WorkflowStepPhaseSucceeded, ""),
			step("b", "notify", "notification", v1beta1.WorkflowStepPhaseSucceeded, "")}}
	})
	contains(t, mustVela(t, "workflow", "logs", "logged"), "no logs recorded")

	// Without status.workflow.contextBackend the controller's workflow-<app>-context is read.
	data := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: application.ContextConfigMapName("logged"), Namespace: "default"},
		Data: map[string]string{application.ContextDataKey: `{"vars":{},"logs":{"deploy":["line 1","line 2"]}}`}}
	if err := c.Create(ctx, data); err != nil {
		t.Fatal(err)
	}
	contains(t, mustVela(t, "workflow", "logs", "logged"), "=== step deploy\nline 1\nline 2\n")

	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "logged-logs", Namespace: "default"},
		Data: map[string]string{application.StepLogsKey: `{"deploy":"applied 2 objects","notify":"sent"}`}}
	if err := c.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	setStatus(t, c, "default", "logged", func(s *v1beta1.AppStatus) {
		s.Workflow.ContextBackend = &corev1.ObjectReference{Kind: "ConfigMap", Name: cm.Name, Namespace: "default"}
	})
	contains(t, mustVela(t, "workflow", "logs", "logged"), "=== step deploy", "applied 2 objects", "=== step notify", "sent")
	out := mustVela(t, "workflow", "logs", "logged", "--step", "notify")
	if strings.Contains(out, "applied 2 objects") || !strings.Contains(out, "sent") {
		t.Fatalf("--step notify: want only that step's logs, got\n%s", out)
	}
	if _, err := velaRun(t, "", "workflow", "logs", "logged", "--step", "nope"); err == nil || !strings.Contains(err.Error(), `no workflow step "nope"`) {
		t.Fatalf("want an unknown-step error, got %v", err)
	}
}

func TestIntegrationLogsOnSimulatedNode(t *testing.T) {
	c := appClient(t)
	ctx := context.Background()
	mustVela(t, "up", "sim", "--type", "webservice", "--image", "nginx:1.27")
	var nodes corev1.NodeList
	if err := c.List(ctx, &nodes, client.MatchingLabels{application.SimulatedNodeLabel: "true"}); err != nil || len(nodes.Items) == 0 {
		t.Fatalf("want a simulated node: %v", err)
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "sim-0", Namespace: "default", Labels: map[string]string{oam.LabelAppName: "sim", oam.LabelAppComponent: "sim"}},
		Spec:       corev1.PodSpec{NodeName: nodes.Items[0].Name, Containers: []corev1.Container{{Name: "main", Image: "nginx:1.27"}}},
	}
	if _, err := velaRun(t, "", "logs", "sim"); err == nil || !strings.Contains(err.Error(), "has no pods yet") {
		t.Fatalf("want a no-pods message before the pod exists, got %v", err)
	}
	if err := c.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"logs", "sim"}, {"exec", "sim", "--", "ls"}, {"port-forward", "sim", "8080:80"}} {
		_, err := velaRun(t, "", args...)
		if err == nil || !strings.Contains(err.Error(), "simulated node") || !strings.Contains(err.Error(), "real node") {
			t.Errorf("vela %s: want the simulated-node message, got %v", strings.Join(args, " "), err)
		}
	}
}
