package addon_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/addon"
	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/application"
)

// TestIntegrationEnableDisableHelmAndRollout enables and disables the embedded addons that
// only register definitions (and helm's view).
func TestIntegrationEnableDisableHelmAndRollout(t *testing.T) {
	h := newHarness(t)
	for name, defs := range map[string][]client.Object{
		"helm":    {named(&v1beta1.ComponentDefinition{}, "helm"), named(&corev1.ConfigMap{}, "helm-release")}, // the view
		"rollout": {named(&v1beta1.TraitDefinition{}, "canary"), named(&v1beta1.WorkflowStepDefinition{}, "canary-rollout")},
	} {
		h.enable(name, addon.EnableOptions{})
		for _, d := range defs {
			if !h.exists(d, addon.Namespace, d.GetName()) {
				t.Fatalf("%s: definition %s missing after enable", name, d.GetName())
			}
		}
		if err := h.m.Disable(h.ctx, name, addon.DisableOptions{}); err != nil {
			t.Fatalf("disable %s: %v", name, err)
		}
		for _, d := range defs {
			if h.exists(d, addon.Namespace, d.GetName()) {
				t.Fatalf("%s: definition %s left after disable", name, d.GetName())
			}
		}
	}
}

func named(o client.Object, name string) client.Object { o.SetName(name); return o }

// canaryApp is web at image with 4 replicas, rolled out in batches of 25% (pausing), 50% and 100%.
func canaryApp(ns, image string, cpu string, deadline int) *v1beta1.Application {
	props := map[string]any{"image": image}
	if cpu != "" {
		props["cpu"] = cpu
	}
	app := &v1beta1.Application{ObjectMeta: metav1.ObjectMeta{Name: "canary", Namespace: ns}}
	app.Spec.Components = []v1beta1.ApplicationComponent{{Name: "web", Type: "webservice", Properties: raw(props),
		Traits: []v1beta1.ApplicationTrait{
			{Type: "scaler", Properties: raw(map[string]any{"replicas": 4})},
			{Type: "canary", Properties: raw(map[string]any{"progressDeadlineSeconds": deadline, "batches": []any{
				map[string]any{"weight": 25, "pause": true}, map[string]any{"weight": 50}, map[string]any{"weight": 100}}})},
		}}}
	app.Spec.Workflow = &v1beta1.Workflow{}
	for i, n := range []string{"canary-25", "canary-50", "promote"} {
		app.Spec.Workflow.Steps = append(app.Spec.Workflow.Steps, v1beta1.WorkflowStep{WorkflowStepBase: v1beta1.WorkflowStepBase{
			Name: n, Type: "canary-rollout", Properties: raw(map[string]any{"component": "web", "batch": i})}})
	}
	return app
}

func raw(m map[string]any) *runtime.RawExtension {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return &runtime.RawExtension{Raw: b}
}

// deployment returns the image and replicas of a Deployment ("" and -1 when absent).
func (h *harness) deployment(ns, name string) (string, int32) {
	d := &appsv1.Deployment{}
	if !h.exists(d, ns, name) {
		return "", -1
	}
	return d.Spec.Template.Spec.Containers[0].Image, *d.Spec.Replicas
}

func (h *harness) waitApp(ns string, what string, cond func(*v1beta1.Application) bool) *v1beta1.Application {
	h.t.Helper()
	app := &v1beta1.Application{}
	deadline := time.Now().Add(90 * time.Second)
	for !(h.exists(app, ns, "canary") && cond(app)) {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting: %s: phase %q conditions %+v steps %s", what, app.Status.Phase, app.Status.Conditions, stepsOf(app))
		}
		time.Sleep(200 * time.Millisecond)
	}
	return app
}

func (h *harness) updateApp(ns string, next *v1beta1.Application) {
	h.t.Helper()
	for {
		app := &v1beta1.Application{}
		h.exists(app, ns, "canary")
		app.Spec = next.Spec
		if err := h.c.Update(h.ctx, app); err == nil {
			return
		} else if !strings.Contains(err.Error(), "modified") {
			h.t.Fatal(err)
		}
	}
}

func stepsOf(app *v1beta1.Application) string {
	if app.Status.Workflow == nil {
		return "no workflow"
	}
	var b strings.Builder
	for _, s := range app.Status.Workflow.Steps {
		fmt.Fprintf(&b, "[%s %s %q]", s.Name, s.Phase, s.Message)
	}
	return b.String()
}

// TestIntegrationCanaryRollout runs a canary through its batches with a pause and a resume,
// then a failing canary that rolls back.
func TestIntegrationCanaryRollout(t *testing.T) {
	h := newHarness(t)
	h.enable("rollout", addon.EnableOptions{})
	ns := "canary-rollout"
	if err := h.c.Create(h.ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}

	// First deployment: applied at once, no pause.
	if err := h.c.Create(h.ctx, canaryApp(ns, "web:v1", "", 600)); err != nil {
		t.Fatal(err)
	}
	h.waitApp(ns, "first deployment running", func(a *v1beta1.Application) bool { return a.Status.Phase == v1beta1.ApplicationRunning })
	if img, n := h.deployment(ns, "web"); img != "web:v1" || n != 4 {
		t.Fatalf("web after first deployment = %s x%d", img, n)
	}

	// v2: the first batch (25%: one replica) pauses.
	h.updateApp(ns, canaryApp(ns, "web:v2", "", 600))
	app := h.waitApp(ns, "suspended at the first batch", func(a *v1beta1.Application) bool {
		return a.Status.Phase == v1beta1.ApplicationWorkflowSuspending
	})
	if img, n := h.deployment(ns, "web-canary"); img != "web:v2" || n != 1 {
		t.Fatalf("canary at 25%% = %s x%d (%s)", img, n, stepsOf(app))
	}
	if img, n := h.deployment(ns, "web"); img != "web:v1" || n != 3 {
		t.Fatalf("stable at 25%% = %s x%d", img, n)
	}
	if ok, err := application.Resume(h.ctx, h.c, app); err != nil || !ok {
		t.Fatalf("resume: %v %v", ok, err)
	}
	h.waitApp(ns, "v2 promoted", func(a *v1beta1.Application) bool {
		img, n := h.deployment(ns, "web")
		return a.Status.Phase == v1beta1.ApplicationRunning && img == "web:v2" && n == 4
	})
	h.eventually("canary deleted after promotion", func() bool { _, n := h.deployment(ns, "web-canary"); return n == -1 })

	// v3 cannot be scheduled: the first batch fails after its deadline and rolls back.
	h.updateApp(ns, canaryApp(ns, "web:v3", "100000", 3))
	app = h.waitApp(ns, "v3 failed", func(a *v1beta1.Application) bool {
		return a.Status.Phase == v1beta1.ApplicationWorkflowFailed
	})
	if !strings.Contains(stepsOf(app), "rolled back to the stable version") {
		t.Errorf("steps = %s, want the rollback named", stepsOf(app))
	}
	if img, n := h.deployment(ns, "web"); img != "web:v2" || n != 4 {
		t.Fatalf("stable after rollback = %s x%d", img, n)
	}
	h.eventually("canary deleted after rollback", func() bool { _, n := h.deployment(ns, "web-canary"); return n == -1 })
}
