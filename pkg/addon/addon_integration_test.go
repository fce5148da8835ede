package addon_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/addon"
	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/application"
	"velad.io/velad/pkg/controller"
	"velad.io/velad/pkg/controller/bootstrap"
	"velad.io/velad/pkg/dashboard"
	"velad.io/velad/pkg/log"
	"velad.io/velad/pkg/server"
	"velad.io/velad/pkg/testenv"
)

// env runs the control plane with the bootstrap, Application and dashboard controllers; nil under -short.
var env *testenv.Env

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	os.Exit(testenv.Run(m, &env, testenv.Options{Controllers: []server.Controller{bootstrap.Controller(), controller.NewEmbedded(controller.Options{}), dashboard.NewEmbedded()}}))
}

// harness is one test's client, manager and captured log.
type harness struct {
	t   *testing.T
	ctx context.Context
	c   client.Client
	m   *addon.Manager
	log *bytes.Buffer
}

func newHarness(t *testing.T, regs ...addon.Registry) *harness {
	t.Helper()
	if env == nil {
		t.Skip("integration test: needs the control plane (not under -short)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	c, err := application.NewClient(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	buf := &bytes.Buffer{}
	m, err := addon.New(env.Config, addon.Options{Logger: log.Writer{W: buf}, Registries: append(addon.Registries(regs), addon.EmbeddedRegistry())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("addon log:\n%s", buf.String())
		}
	})
	return &harness{t: t, ctx: ctx, c: c, m: m, log: buf}
}

func (h *harness) enable(name string, opts addon.EnableOptions) []addon.Enabled {
	h.t.Helper()
	a, err := h.m.Find(name)
	if err != nil {
		h.t.Fatal(err)
	}
	done, err := h.m.Enable(h.ctx, a, opts)
	if err != nil {
		h.t.Fatalf("enable %s: %v", name, err)
	}
	return done
}

func (h *harness) exists(obj client.Object, namespace, name string) bool {
	h.t.Helper()
	err := h.c.Get(h.ctx, client.ObjectKey{Namespace: namespace, Name: name}, obj)
	if err != nil && !apierrors.IsNotFound(err) {
		h.t.Fatal(err)
	}
	return err == nil
}

// eventually polls cond for up to a minute.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestIntegrationEnableEmbeddedAddon(t *testing.T) {
	h := newHarness(t)
	done := h.enable("velad-hello", addon.EnableOptions{Parameters: map[string]any{"replicas": 2, "message": "hi"}})
	if len(done) != 1 || !strings.Contains(done[0].Rendered.Notes, "2 replica(s)") {
		t.Errorf("enabled = %+v", done)
	}
	app := &v1beta1.Application{}
	if !h.exists(app, addon.Namespace, "addon-velad-hello") || app.Status.Phase != v1beta1.ApplicationRunning {
		t.Fatalf("application phase %q", app.Status.Phase)
	}
	if app.Labels[addon.LabelName] != "velad-hello" || app.Labels[addon.LabelVersion] != "1.0.0" || app.Labels[addon.LabelRegistry] != "velad" {
		t.Errorf("labels = %v", app.Labels)
	}
	var d appsv1.Deployment
	if !h.exists(&d, addon.Namespace, "velad-hello") || *d.Spec.Replicas != 2 {
		t.Fatalf("deployment velad-hello missing or wrong replicas")
	}
	var sec corev1.Secret
	if !h.exists(&sec, addon.Namespace, "addon-secret-velad-hello") {
		t.Fatal("no parameter secret")
	}
	var params map[string]any
	if err := json.Unmarshal(sec.Data[addon.ParameterDataKey], &params); err != nil || params["message"] != "hi" {
		t.Errorf("stored parameters = %s (%v)", sec.Data[addon.ParameterDataKey], err)
	}
	if !strings.Contains(h.log.String(), "Enabling addon velad-hello") || !strings.Contains(h.log.String(), "phase running") {
		t.Errorf("no progress in log:\n%s", h.log)
	}
	st, err := h.m.Status(h.ctx, "velad-hello")
	if err != nil || st.State != addon.StateEnabled || st.Phase != "running" {
		t.Errorf("status = %+v, %v", st, err)
	}
	items, errs := h.m.List(h.ctx)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for _, it := range items {
		if want := map[string]string{"velad-hello": "enabled", "velad-ownership": "disabled"}[it.Name]; want != "" && it.State != want {
			t.Errorf("%s: %s, want %s", it.Name, it.State, want)
		}
	}

	// Enabling again keeps stored parameters not given again.
	h.enable("velad-hello", addon.EnableOptions{Parameters: map[string]any{"replicas": 1}})
	h.exists(&sec, addon.Namespace, "addon-secret-velad-hello")
	_ = json.Unmarshal(sec.Data[addon.ParameterDataKey], &params)
	if params["message"] != "hi" || params["replicas"] != float64(1) {
		t.Errorf("parameters after re-enable = %v", params)
	}

	if err := h.m.Disable(h.ctx, "velad-hello", addon.DisableOptions{}); err != nil {
		t.Fatal(err)
	}
	if h.exists(&v1beta1.Application{}, addon.Namespace, "addon-velad-hello") || h.exists(&corev1.Secret{}, addon.Namespace, "addon-secret-velad-hello") {
		t.Error("application or secret left after disable")
	}
	h.eventually("deployment velad-hello deleted", func() bool { return !h.exists(&appsv1.Deployment{}, addon.Namespace, "velad-hello") })
	if err := h.m.Disable(h.ctx, "velad-hello", addon.DisableOptions{}); !errors.Is(err, addon.ErrNotEnabled) {
		t.Errorf("second disable: %v", err)
	}
}

func TestIntegrationDisableRefusedWhileDefinitionInUse(t *testing.T) {
	h := newHarness(t)
	h.enable("velad-ownership", addon.EnableOptions{})
	def := &unstructured.Unstructured{}
	def.SetAPIVersion("core.oam.dev/v1beta1")
	def.SetKind("TraitDefinition")
	if !h.exists(def, addon.Namespace, "ownership") {
		t.Fatal("trait ownership not installed")
	}
	var cm corev1.ConfigMap
	if !h.exists(&cm, addon.Namespace, "velad-team-directory") {
		t.Error("team directory ConfigMap not delivered")
	}
	objs, err := application.DecodeManifests("owned.yaml", []byte(`apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: owned, namespace: default}
spec:
  components:
    - name: owned-api
      type: webservice
      properties: {image: api:1}
      traits:
        - type: ownership
          properties: {team: payments}
`))
	if err != nil {
		t.Fatal(err)
	}
	applied, err := application.Apply(h.ctx, h.c, objs, application.ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.c.Delete(context.Background(), objs[0]) })
	if _, err := application.WaitRunning(h.ctx, h.c, applied[0], nil); err != nil {
		t.Fatal(err)
	}
	var d appsv1.Deployment
	if !h.exists(&d, "default", "owned-api") || d.Labels["ownership.velad.io/team"] != "payments" {
		t.Fatalf("deployment labels = %v", d.Labels)
	}

	err = h.m.Disable(h.ctx, "velad-ownership", addon.DisableOptions{})
	if !addon.IsInUse(err) || !strings.Contains(err.Error(), "application default/owned uses trait ownership") {
		t.Fatalf("disable while in use: %v", err)
	}
	if !h.exists(&v1beta1.Application{}, addon.Namespace, "addon-velad-ownership") || !h.exists(def, addon.Namespace, "ownership") {
		t.Fatal("a refused disable removed something")
	}
	if err := h.m.Disable(h.ctx, "velad-ownership", addon.DisableOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if h.exists(def, addon.Namespace, "ownership") || h.exists(&v1beta1.Application{}, addon.Namespace, "addon-velad-ownership") {
		t.Error("definition or application left after forced disable")
	}
}

// writeAddon writes files (path → content) under dir/name.
func writeAddon(t *testing.T, dir, name string, files map[string]string) string {
	t.Helper()
	for p, content := range files {
		full := filepath.Join(dir, name, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, name)
}
