package embedded_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/appfile"
	velacue "velad.io/velad/pkg/cue"
	"velad.io/velad/pkg/cue/provider/op"
	"velad.io/velad/pkg/workflow"
)

// These tests run the built-in workflow steps through velad's workflow runtime, with a
// fake API client, a recording dispatcher and a local HTTP server standing in for the
// webhooks and APIs the steps call.

type recordingDispatcher struct {
	comps      []map[string]any
	policies   []appfile.AppPolicy
	mu         sync.Mutex // steps call the dispatcher concurrently
	components []string   // components applied, in order
	applied    []*unstructured.Unstructured
}

func (d *recordingDispatcher) Components() []map[string]any { return d.comps }

// Policy implements workflow.Dispatcher with the application's declared policies.
func (d *recordingDispatcher) Policy(name string) (string, map[string]any, bool) {
	for _, p := range d.policies {
		if p.Name == name {
			return p.Type, p.Properties, true
		}
	}
	return "", nil, false
}

func (d *recordingDispatcher) ApplyComponent(_ context.Context, c map[string]any, _, _ string) (map[string]any, map[string]any, error) {
	name, _ := c["name"].(string)
	d.mu.Lock()
	d.components = append(d.components, name)
	d.mu.Unlock()
	return map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": c["name"]},
		"status": map[string]any{"conditions": []any{map[string]any{"message": "available"}}}}, map[string]any{}, nil
}

func (d *recordingDispatcher) Apply(_ context.Context, u *unstructured.Unstructured) error {
	d.mu.Lock()
	d.applied = append(d.applied, u)
	d.mu.Unlock()
	return nil
}

type recordingServer struct {
	*httptest.Server
	mu   sync.Mutex
	hits []string
}

func newRecordingServer(t *testing.T) *recordingServer {
	s := &recordingServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.hits = append(s.hits, r.Method+" "+r.URL.Path+" "+string(b))
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"stargazers_count": 7}`))
	}))
	t.Cleanup(s.Close)
	return s
}

// runWorkflow runs the application's workflow to its end and returns its status.
func runWorkflow(t *testing.T, appYAML string, objs ...client.Object) (*v1beta1.WorkflowStatus, *recordingDispatcher) {
	t.Helper()
	ctx := context.Background()
	ce, err := velacue.New(velacue.WithProviders(op.All()...))
	if err != nil {
		t.Fatal(err)
	}
	defs, err := appfile.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	app, err := appfile.ParseApplicationYAML([]byte(appYAML))
	if err != nil {
		t.Fatal(err)
	}
	af, err := appfile.NewParser(defs).Parse(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := workflow.PlanFor(ctx, af, workflow.DefaultGenerator(), defs)
	if err != nil {
		t.Fatal(err)
	}
	d := &recordingDispatcher{policies: app.Spec.Policies}
	for _, c := range app.Spec.Components {
		d.comps = append(d.comps, map[string]any{"name": c.Name, "type": c.Type, "properties": c.Properties})
	}
	scheme := runtime.NewScheme()
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1beta1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	cl := fake.NewClientBuilder().WithScheme(scheme).WithObjects(objs...).Build()
	env := &workflow.Env{Dispatcher: d, Client: cl, Namespace: app.Namespace, App: app.Name}
	now := time.Unix(1_700_000_000, 0)
	eng := workflow.New(ce, workflow.Options{Now: func() time.Time { return now }, MaxRetries: 1})
	in := &workflow.Instance{App: app.Name, Namespace: app.Namespace, Revision: app.Name + "-v1", Steps: plan.Steps, Mode: plan.Mode,
		Status: &v1beta1.WorkflowStatus{}, Store: &workflow.MemoryStore{}, Handlers: workflow.NewHandlers(env),
		Context: velacue.Context{Name: app.Name, AppName: app.Name, Namespace: app.Namespace}}
	for i := 0; i < 5; i++ {
		out, err := eng.Run(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if out.Phase == v1beta1.WorkflowRunSucceeded || out.Phase == v1beta1.WorkflowRunFailed {
			break
		}
		now = now.Add(time.Minute)
	}
	return in.Status, d
}

func stepsByName(st *v1beta1.WorkflowStatus) map[string]v1beta1.StepStatus {
	m := map[string]v1beta1.StepStatus{}
	for _, s := range st.Steps {
		m[s.Name] = s.StepStatus
	}
	return m
}

func TestBuiltinStepsRunInWorkflow(t *testing.T) {
	srv := newRecordingServer(t)
	app := strings.ReplaceAll(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: app, namespace: default}
spec:
  components:
  - {name: web, type: webservice, properties: {image: nginx}}
  workflow:
    steps:
    - name: apply
      type: apply-component
      properties: {component: web}
      outputs:
      - {name: status, valueFrom: 'output.status.conditions[0].message'}
    - name: hook
      type: webhook
      properties: {url: {value: "URL/hook"}, data: {a: 1}}
    - name: hook-secret
      type: webhook
      properties: {url: {secretRef: {name: hooks, key: url}}, data: {b: 2}}
    - name: req
      type: request
      properties: {url: "URL/req"}
      outputs:
      - {name: stars, valueFrom: 'response.stargazers_count'}
    - name: notify
      type: notification
      inputs:
      - {from: status, parameterKey: slack.message.text}
      properties: {slack: {url: {value: "URL/slack"}}}
    - name: export
      type: export2config
      properties: {configName: cm1, data: {k: v}}
    - name: secret
      type: export2secret
      properties: {secretName: s1, data: {k: v}}
    - name: read
      type: read-object
      properties: {apiVersion: v1, kind: ConfigMap, name: existing}
      outputs:
      - {name: val, valueFrom: 'output.value.data["x"]'}
    - name: msg
      type: print-message-in-status
      inputs:
      - {from: val, parameterKey: message}
      properties: {message: placeholder}
    - name: deps
      type: depends-on-app
      properties: {name: other, namespace: default}
`, "URL", srv.URL)
	other := &v1beta1.Application{ObjectMeta: metav1.ObjectMeta{Name: "other", Namespace: "default"}}
	other.Status.Phase = "running"
	st, d := runWorkflow(t, app,
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "hooks", Namespace: "default"}, Data: map[string][]byte{"url": []byte(srv.URL + "/secret-hook")}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "existing", Namespace: "default"}, Data: map[string]string{"x": "hello from a ConfigMap"}},
		other)
	if st.Phase != v1beta1.WorkflowRunSucceeded {
		for _, s := range st.Steps {
			t.Logf("%s: %s %s %s", s.Name, s.Phase, s.Reason, s.Message)
		}
		t.Fatalf("workflow %s, want succeeded", st.Phase)
	}
	if got := stepsByName(st)["msg"].Message; got != "hello from a ConfigMap" {
		t.Errorf("print-message-in-status message %q", got)
	}
	want := []string{
		"POST /hook " + `{"a":1}`,
		"POST /secret-hook " + `{"b":2}`,
		"GET /req ",
		"POST /slack " + `{"text":"available","mrkdwn":true}`,
	}
	if strings.Join(srv.hits, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(srv.hits, "\n"), strings.Join(want, "\n"))
	}
	if len(d.applied) != 2 || d.applied[0].GetKind() != "ConfigMap" || d.applied[1].GetKind() != "Secret" {
		t.Fatalf("applied %v", d.applied)
	}
	if v, _, _ := unstructured.NestedString(d.applied[1].Object, "stringData", "k"); v != "v" {
		t.Errorf("secret %v", d.applied[1].Object)
	}
}

// TestWebhookPostsTheApplication checks webhook's default body: the Application itself.
func TestWebhookPostsTheApplication(t *testing.T) {
	srv := newRecordingServer(t)
	app := strings.ReplaceAll(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: app, namespace: default}
spec:
  components: []
  workflow:
    steps:
    - name: hook
      type: webhook
      properties: {url: {value: "URL/app"}}
`, "URL", srv.URL)
	st, _ := runWorkflow(t, app, &v1beta1.Application{ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: "default"}})
	if st.Phase != v1beta1.WorkflowRunSucceeded {
		msg := ""
		if len(st.Steps) > 0 {
			msg = st.Steps[0].Message
		}
		t.Fatalf("workflow %s: %s", st.Phase, msg)
	}
	if len(srv.hits) != 1 || !strings.Contains(srv.hits[0], `"kind":"Application"`) {
		t.Errorf("requests %v", srv.hits)
	}
}

func TestDeployStepsRunInWorkflow(t *testing.T) {
	for step, want := range map[string]string{
		`{name: d, type: deploy, properties: {policies: [local]}}`:         "db web",
		`{name: d, type: apply-application}`:                               "db web",
		`{name: d, type: apply-remaining, properties: {exceptions: [db]}}`: "web",
	} {
		app := `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: app, namespace: default}
spec:
  components:
  - {name: db, type: worker, properties: {image: busybox}}
  - {name: web, type: webservice, properties: {image: nginx}}
  policies:
  - {name: local, type: topology, properties: {clusters: [local]}}
  workflow:
    steps:
    - ` + step + "\n"
		st, d := runWorkflow(t, app)
		if st.Phase != v1beta1.WorkflowRunSucceeded {
			for _, s := range st.Steps {
				t.Logf("%s: %s %s %s", s.Name, s.Phase, s.Reason, s.Message)
			}
			t.Errorf("%s: workflow %s, want succeeded", step, st.Phase)
		}
		// Components without dependsOn between them are applied concurrently, in any order.
		applied := append([]string(nil), d.components...)
		sort.Strings(applied)
		if got := strings.Join(applied, " "); got != want {
			t.Errorf("%s applied components %q, want %q", step, got, want)
		}
	}
}
