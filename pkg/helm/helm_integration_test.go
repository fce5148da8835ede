package helm_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/addon"
	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/application"
	"velad.io/velad/pkg/controller"
	"velad.io/velad/pkg/controller/bootstrap"
	"velad.io/velad/pkg/helm"
	"velad.io/velad/pkg/server"
	"velad.io/velad/pkg/testenv"
	"velad.io/velad/pkg/velaql"
)

// env runs the control plane with the bootstrap, Application and helm controllers; nil under -short.
var env *testenv.Env

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	os.Exit(testenv.Run(m, &env, testenv.Options{Controllers: []server.Controller{
		bootstrap.Controller(), controller.NewEmbedded(controller.Options{}), helm.NewEmbedded()}}))
}

func setup(t *testing.T) (context.Context, client.Client, string) {
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
	ns := strings.ToLower(strings.ReplaceAll(t.Name(), "_", "-"))
	if len(ns) > 40 {
		ns = ns[:40]
	}
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	return ctx, c, ns
}

// writeChart writes a chart "greeter" of version to dir/greeter: a ConfigMap carrying the
// message value and a Deployment.
func writeChart(t *testing.T, dir, version string) string {
	t.Helper()
	p := filepath.Join(dir, "greeter")
	files := map[string]string{
		"Chart.yaml":  fmt.Sprintf("apiVersion: v2\nname: greeter\nversion: %s\nappVersion: \"1.0\"\n", version),
		"values.yaml": "message: hello\nreplicas: 1\n",
		"templates/configmap.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-greeting
data:
  message: {{ .Values.message | quote }}
  chart: {{ .Chart.Version | quote }}
`,
		"templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
        - name: greeter
          image: greeter:{{ .Chart.AppVersion }}
`,
	}
	for name, data := range files {
		f := filepath.Join(p, name)
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func enableHelmAddon(ctx context.Context, t *testing.T) {
	t.Helper()
	m, err := addon.New(env.Config, addon.Options{Registries: addon.Registries{addon.EmbeddedRegistry()}})
	if err != nil {
		t.Fatal(err)
	}
	a, err := m.Find("helm")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Enable(ctx, a, addon.EnableOptions{Timeout: 2 * time.Minute}); err != nil {
		t.Fatalf("enabling the helm addon: %v", err)
	}
}

func helmApp(ns, url string, values map[string]any) *v1beta1.Application {
	props, _ := runtime.DefaultUnstructuredConverter.ToUnstructured(&struct {
		URL    string         `json:"url"`
		Chart  string         `json:"chart"`
		Values map[string]any `json:"values"`
	}{url, "greeter", values})
	raw, _ := (&unstructured.Unstructured{Object: props}).MarshalJSON()
	app := &v1beta1.Application{}
	app.Name, app.Namespace = "greeter-app", ns
	app.Spec.Components = []v1beta1.ApplicationComponent{{Name: "greet", Type: "helm"}}
	app.Spec.Components[0].Properties = &runtime.RawExtension{Raw: raw}
	return app
}

// waitMessage waits until the chart's ConfigMap carries message and the Application runs.
func waitMessage(ctx context.Context, t *testing.T, c client.Client, ns, release, message string) {
	t.Helper()
	var last string
	for {
		cm := &corev1.ConfigMap{}
		err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: release + "-greeting"}, cm)
		app := &v1beta1.Application{}
		_ = c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "greeter-app"}, app)
		if err == nil && cm.Data["message"] == message && app.Status.Phase == v1beta1.ApplicationRunning &&
			len(app.Status.Services) == 1 && app.Status.Services[0].Healthy {
			return
		}
		last = fmt.Sprintf("configmap err=%v data=%v; app phase %q services %+v; release %s", err, cm.Data, app.Status.Phase, app.Status.Services, releaseStatus(ctx, c, ns))
		select {
		case <-ctx.Done():
			t.Fatalf("message %q never delivered: %s", message, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func helmRelease(ctx context.Context, c client.Client, ns, name string) (*unstructured.Unstructured, error) {
	hr := &unstructured.Unstructured{}
	hr.SetGroupVersionKind(helm.ReleaseGVK)
	return hr, c.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, hr)
}

func releaseStatus(ctx context.Context, c client.Client, ns string) string {
	hr, err := helmRelease(ctx, c, ns, "greet")
	if err != nil {
		return err.Error()
	}
	return fmt.Sprint(hr.Object["status"])
}

// releaseSecrets are Helm's release records for name in ns.
func releaseSecrets(ctx context.Context, t *testing.T, c client.Client, ns, name string) []corev1.Secret {
	t.Helper()
	list := &corev1.SecretList{}
	if err := c.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{"owner": "helm", "name": name}); err != nil {
		t.Fatal(err)
	}
	return list.Items
}

func TestHelmComponentInstallUpgradeRollbackDelete(t *testing.T) {
	ctx, c, ns := setup(t)
	enableHelmAddon(ctx, t)
	dir := t.TempDir()
	writeChart(t, dir, "0.1.0")
	url := "file://" + dir

	app := helmApp(ns, url, map[string]any{"message": "v1"})
	if err := c.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	waitMessage(ctx, t, c, ns, "greet", "v1")
	if n := len(releaseSecrets(ctx, t, c, ns, "greet")); n != 1 {
		t.Fatalf("release records after install = %d, want 1", n)
	}
	dep := &unstructured.Unstructured{}
	dep.SetAPIVersion("apps/v1")
	dep.SetKind("Deployment")
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "greet"}, dep); err != nil {
		t.Fatalf("chart's Deployment: %v", err)
	}

	// Upgrade: new values and a new chart version.
	writeChart(t, dir, "0.2.0")
	update(ctx, t, c, ns, url, map[string]any{"message": "v2"})
	waitMessage(ctx, t, c, ns, "greet", "v2")
	hr, err := helmRelease(ctx, c, ns, "greet")
	if err != nil {
		t.Fatal(err)
	}
	if rev, _, _ := unstructured.NestedInt64(hr.Object, "status", "lastReleaseRevision"); rev != 2 {
		t.Errorf("lastReleaseRevision after upgrade = %d, want 2", rev)
	}
	if v, _, _ := unstructured.NestedString(hr.Object, "status", "lastAppliedRevision"); v != "0.2.0" {
		t.Errorf("lastAppliedRevision = %q, want 0.2.0", v)
	}

	// Roll back: the Application's earlier spec (and chart) brings back revision 1.
	writeChart(t, dir, "0.1.0")
	update(ctx, t, c, ns, url, map[string]any{"message": "v1"})
	waitMessage(ctx, t, c, ns, "greet", "v1")
	hr, _ = helmRelease(ctx, c, ns, "greet")
	hist, _, _ := unstructured.NestedSlice(hr.Object, "status", "history")
	if len(hist) != 3 {
		t.Fatalf("history = %v, want 3 revisions", hist)
	}
	newest := hist[0].(map[string]any)
	if newest["version"] != int64(3) || newest["description"] != "Rollback to 1" || newest["chartVersion"] != "0.1.0" {
		t.Errorf("newest revision = %v, want 3: Rollback to 1 with chart 0.1.0", newest)
	}
	checkHelmReleaseView(ctx, t, c, ns)

	// Delete: the release is uninstalled with its objects and records.
	if err := c.Delete(ctx, app); err != nil {
		t.Fatal(err)
	}
	for {
		cm := &corev1.ConfigMap{}
		err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "greet-greeting"}, cm)
		_, hrErr := helmRelease(ctx, c, ns, "greet")
		if apierrors.IsNotFound(err) && apierrors.IsNotFound(hrErr) && len(releaseSecrets(ctx, t, c, ns, "greet")) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("release not uninstalled: configmap err %v, HelmRelease err %v", err, hrErr)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// checkHelmReleaseView queries the helm addon's helm-release view as `vela ql` does: the
// view ConfigMap the addon applied reads the HelmRelease and exports its revisions.
func checkHelmReleaseView(ctx context.Context, t *testing.T, c client.Client, ns string) {
	t.Helper()
	q, err := velaql.NewQuerier(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	query, err := velaql.ParseQuery("helm-release{name=greet,namespace=" + ns + "}")
	if err != nil {
		t.Fatal(err)
	}
	out, err := q.Query(ctx, query)
	if err != nil {
		t.Fatalf("vela ql helm-release: %v", err)
	}
	st, _ := out.(map[string]any)
	revs, _ := st["revisions"].([]any)
	conds, _ := st["conditions"].([]any)
	if len(revs) != 3 || len(conds) == 0 {
		t.Fatalf("helm-release view = %v, want 3 revisions and the conditions", out)
	}
	if newest, _ := revs[0].(map[string]any); newest["version"] != int64(3) {
		t.Errorf("helm-release view: newest revision = %v, want version 3", newest)
	}
	query.Export = "status.revisions"
	if out, err := q.Query(ctx, query); err != nil || len(out.([]any)) != 3 {
		t.Errorf("helm-release{...}.status.revisions = %v, %v; want the 3 revisions", out, err)
	}
	query.Parameter["name"], query.Export = "no-such-release", velaql.DefaultExport
	out, err = q.Query(ctx, query)
	if st, _ := out.(map[string]any); err != nil || st["error"] == nil {
		t.Errorf("helm-release view of a missing release = %v, %v; want status.error", out, err)
	}
}

func update(ctx context.Context, t *testing.T, c client.Client, ns, url string, values map[string]any) {
	t.Helper()
	want := helmApp(ns, url, values)
	for {
		app := &v1beta1.Application{}
		if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "greeter-app"}, app); err != nil {
			t.Fatal(err)
		}
		app.Spec = want.Spec
		err := c.Update(ctx, app)
		if err == nil {
			return
		}
		if !apierrors.IsConflict(err) {
			t.Fatal(err)
		}
	}
}

// TestHelmReleaseFromConfigMap applies Flux objects directly (no Application): a
// HelmRepository naming a ConfigMap that holds the packaged chart.
func TestHelmReleaseFromConfigMap(t *testing.T) {
	ctx, c, ns := setup(t)
	ch, err := loader.Load(writeChart(t, t.TempDir(), "1.2.3"))
	if err != nil {
		t.Fatal(err)
	}
	pkgDir := t.TempDir()
	tgz, err := chartutil.Save(ch, pkgDir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(tgz)
	if err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "charts", Namespace: ns},
		BinaryData: map[string][]byte{filepath.Base(tgz): data}}
	if err := c.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	values := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "greeter-values", Namespace: ns},
		Data: map[string]string{"values.yaml": "message: from-configmap\nreplicas: 2\n"}}
	if err := c.Create(ctx, values); err != nil {
		t.Fatal(err)
	}
	for _, obj := range []string{`
apiVersion: source.toolkit.fluxcd.io/v1beta2
kind: HelmRepository
metadata: {name: local}
spec: {url: "configmap://charts", interval: 5m}`, `
apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata: {name: cm}
spec:
  interval: 5m
  releaseName: from-cm
  chart:
    spec:
      chart: greeter
      version: ">=1.0.0"
      sourceRef: {kind: HelmRepository, name: local}
  valuesFrom:
    - {kind: ConfigMap, name: greeter-values}
    - {kind: Secret, name: absent, optional: true}
  values: {replicas: 3}`} {
		objs, err := application.DecodeManifests("inline", []byte(obj))
		if err != nil {
			t.Fatal(err)
		}
		objs[0].SetNamespace(ns)
		if err := c.Create(ctx, objs[0]); err != nil {
			t.Fatal(err)
		}
	}
	for {
		got := &corev1.ConfigMap{}
		dep := &unstructured.Unstructured{}
		dep.SetAPIVersion("apps/v1")
		dep.SetKind("Deployment")
		err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "from-cm-greeting"}, got)
		depErr := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "from-cm"}, dep)
		replicas, _, _ := unstructured.NestedInt64(dep.Object, "spec", "replicas")
		// The objects exist a moment before the controller writes the Ready condition.
		hr, _ := helmRelease(ctx, c, ns, "cm")
		conds, _, _ := unstructured.NestedSlice(hr.Object, "status", "conditions")
		ready := len(conds) > 0 && conds[0].(map[string]any)["type"] == "Ready" && conds[0].(map[string]any)["message"] == helm.ReadyMessage
		if err == nil && depErr == nil && got.Data["message"] == "from-configmap" && got.Data["chart"] == "1.2.3" && replicas == 3 && ready {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("chart from ConfigMap not installed and Ready (want %q first): %v %v replicas %d; status %v", helm.ReadyMessage, err, got.Data, replicas, hr.Object["status"])
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// TestHelmReleaseUnreachableRepository reports an actionable error in the Ready condition.
func TestHelmReleaseUnreachableRepository(t *testing.T) {
	ctx, c, ns := setup(t)
	for _, obj := range []string{`
apiVersion: source.toolkit.fluxcd.io/v1
kind: HelmRepository
metadata: {name: remote}
spec: {url: "http://127.0.0.1:1/charts"}`, `
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: remote}
spec:
  chart: {spec: {chart: greeter, sourceRef: {kind: HelmRepository, name: remote}}}`} {
		objs, err := application.DecodeManifests("inline", []byte(obj))
		if err != nil {
			t.Fatal(err)
		}
		objs[0].SetNamespace(ns)
		if err := c.Create(ctx, objs[0]); err != nil {
			t.Fatal(err)
		}
	}
	for {
		hr, err := helmRelease(ctx, c, ns, "remote")
		if err != nil {
			t.Fatal(err)
		}
		conds, _, _ := unstructured.NestedSlice(hr.Object, "status", "conditions")
		if len(conds) > 0 {
			ready := conds[0].(map[string]any)
			msg, _ := ready["message"].(string)
			if ready["status"] != "False" || !strings.Contains(msg, "127.0.0.1:1") || !strings.Contains(msg, "file:///path") {
				t.Fatalf("Ready = %v, want False naming the repository and the offline alternatives", ready)
			}
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("no status on the HelmRelease")
		case <-time.After(200 * time.Millisecond):
		}
	}
}
