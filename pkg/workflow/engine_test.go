package workflow

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/appfile"
	"velad.io/velad/pkg/cue"
	"velad.io/velad/pkg/cue/provider/op"
)

// fakeDispatcher records applies; components listed in unhealthy wait.
type fakeDispatcher struct {
	comps     []map[string]any
	policies  map[string]map[string]any
	applied   []string
	unhealthy map[string]bool
}

func (f *fakeDispatcher) Components() []map[string]any { return f.comps }

func (f *fakeDispatcher) Policy(name string) (string, map[string]any, bool) {
	p, ok := f.policies[name]
	if !ok {
		return "", nil, false
	}
	return p["type"].(string), p["properties"].(map[string]any), true
}

func (f *fakeDispatcher) ApplyComponent(_ context.Context, c map[string]any, _, _ string) (map[string]any, map[string]any, error) {
	name := c["name"].(string)
	f.applied = append(f.applied, name)
	if f.unhealthy[name] {
		return nil, nil, Wait("component %s not healthy", name)
	}
	return map[string]any{"kind": "Deployment", "status": map[string]any{"readyReplicas": int64(1)}}, map[string]any{}, nil
}

func (f *fakeDispatcher) Apply(_ context.Context, u *unstructured.Unstructured) error {
	f.applied = append(f.applied, u.GetKind()+"/"+u.GetName())
	return nil
}

type harness struct {
	t      *testing.T
	engine *Engine
	parser *appfile.Parser
	loader appfile.Loader
	now    time.Time
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ce, err := cue.New(cue.WithProviders(op.All()...))
	if err != nil {
		t.Fatal(err)
	}
	defs, err := appfile.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, parser: appfile.NewParser(defs), loader: defs, now: time.Unix(1_700_000_000, 0)}
	h.engine = New(ce, Options{Now: func() time.Time { return h.now }, MaxRetries: 2})
	return h
}

// instance parses the YAML application and returns a runnable instance.
func (h *harness) instance(yaml string, d *fakeDispatcher) *Instance {
	h.t.Helper()
	app, err := appfile.ParseApplicationYAML([]byte(yaml))
	if err != nil {
		h.t.Fatal(err)
	}
	if app.Namespace == "" {
		app.Namespace = "default"
	}
	af, err := h.parser.Parse(context.Background(), app)
	if err != nil {
		h.t.Fatal(err)
	}
	plan, err := PlanFor(context.Background(), af, DefaultGenerator(), h.loader)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, p := range app.Spec.Policies {
		if d.policies == nil {
			d.policies = map[string]map[string]any{}
		}
		d.policies[p.Name] = map[string]any{"type": p.Type, "properties": p.Properties}
	}
	for _, c := range app.Spec.Components {
		d.comps = append(d.comps, map[string]any{"name": c.Name, "type": c.Type, "properties": c.Properties, "dependsOn": toAny(c.DependsOn)})
	}
	env := &Env{Dispatcher: d, Namespace: app.Namespace, App: app.Name}
	return &Instance{
		App: app.Name, Namespace: app.Namespace, Revision: app.Name + "-v1",
		Steps: plan.Steps, Mode: plan.Mode, Status: &v1beta1.WorkflowStatus{},
		Store: &MemoryStore{}, Handlers: NewHandlers(env),
		Context: cue.Context{Name: app.Name, AppName: app.Name, Namespace: app.Namespace},
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// webApp is an Application with one webservice component "web" and the
// given spec.workflow body (indented by four spaces).
func webApp(workflow string) string {
	return "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: app}\nspec:\n" +
		"  components: [{name: web, type: webservice, properties: {image: nginx}}]\n  workflow:" + workflow
}

func (h *harness) run(in *Instance) Outcome {
	h.t.Helper()
	out, err := h.engine.Run(context.Background(), in)
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

func stepPhases(st *v1beta1.WorkflowStatus) string {
	var parts []string
	for _, s := range st.Steps {
		p := s.Name + "=" + string(s.Phase)
		for _, sub := range s.SubStepsStatus {
			p += "," + sub.Name + "=" + string(sub.Phase)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

const twoComponents = `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: app}
spec:
  components:
  - {name: db, type: webservice, properties: {image: nginx}}
  - {name: web, type: webservice, properties: {image: nginx}, dependsOn: [db]}
`

func TestDefaultStepsApplyComponentsInDependencyOrder(t *testing.T) {
	h := newHarness(t)
	d := &fakeDispatcher{unhealthy: map[string]bool{"db": true}}
	in := h.instance(twoComponents, d)
	if out := h.run(in); out.Phase != v1beta1.WorkflowRunExecuting || out.RequeueAfter == 0 {
		t.Fatalf("db unhealthy: outcome %+v, steps %s", out, stepPhases(in.Status))
	}
	if strings.Join(d.applied, ",") != "db" {
		t.Fatalf("web must wait for db: applied %v", d.applied)
	}
	d.unhealthy = nil
	if out := h.run(in); out.Phase != v1beta1.WorkflowRunSucceeded {
		t.Fatalf("outcome %+v, steps %s", out, stepPhases(in.Status))
	}
	if strings.Join(d.applied, ",") != "db,db,web" {
		t.Fatalf("applied %v", d.applied)
	}
}

func TestSuspendResumeAndDuration(t *testing.T) {
	h := newHarness(t)
	d := &fakeDispatcher{}
	in := h.instance(webApp(`
    steps:
    - {name: wait, type: suspend}
    - {name: timed, type: suspend, properties: {duration: 30s}}
    - {name: apply, type: apply-component, properties: {component: web}}
`), d)
	if out := h.run(in); out.Phase != v1beta1.WorkflowRunSuspending || !in.Status.Suspend {
		t.Fatalf("outcome %+v, %s", out, stepPhases(in.Status))
	}
	if out := h.run(in); out.Phase != v1beta1.WorkflowRunSuspending {
		t.Fatalf("still suspended: %+v", out)
	}
	in.Status.Suspend = false // vela workflow resume
	out := h.run(in)
	if out.Phase != v1beta1.WorkflowRunSuspending || in.Status.Steps[0].Phase != v1beta1.WorkflowStepPhaseSucceeded || out.RequeueAfter != 30*time.Second {
		t.Fatalf("after resume: %+v, %s", out, stepPhases(in.Status))
	}
	h.now = h.now.Add(31 * time.Second)
	terminated := *in.Status
	terminated.Steps = append([]v1beta1.WorkflowStepStatus{}, in.Status.Steps...)
	terminated.Terminated = true
	tin := *in
	tin.Status = &terminated
	if out := h.run(&tin); out.Phase != v1beta1.WorkflowRunTerminated || terminated.Steps[1].Reason != ReasonTerminate {
		t.Fatalf("terminate: %+v, %+v", out, terminated.Steps)
	}
	if out := h.run(in); out.Phase != v1beta1.WorkflowRunSucceeded || len(d.applied) != 1 {
		t.Fatalf("after duration: %+v, %s, applied %v", out, stepPhases(in.Status), d.applied)
	}
}

func TestStepGroupDependsOnIfAndOutputs(t *testing.T) {
	h := newHarness(t)
	var hits atomic.Int32
	var body atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		b, _ := io.ReadAll(r.Body)
		body.Store(string(b))
		_, _ = w.Write([]byte(`{"ok": true}`))
	}))
	defer srv.Close()
	d := &fakeDispatcher{}
	in := h.instance(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: app}
spec:
  components:
  - {name: a, type: webservice, properties: {image: nginx}}
  - {name: b, type: webservice, properties: {image: nginx}}
  workflow:
    mode: {steps: DAG}
    steps:
    - name: notify
      type: webhook
      dependsOn: [group]
      inputs: [{from: ready, parameterKey: data.ready}]
      properties: {url: {value: "`+srv.URL+`"}}
    - name: group
      type: step-group
      subSteps:
      - {name: sa, type: apply-component, properties: {component: a}, outputs: [{name: ready, valueFrom: "output.status.readyReplicas"}]}
      - {name: sb, type: apply-component, properties: {component: b}, dependsOn: [sa]}
    - {name: never, type: suspend, if: 'status.group.phase != "succeeded"'}
`, d)
	out := h.run(in)
	if out.Phase != v1beta1.WorkflowRunSucceeded {
		t.Fatalf("outcome %+v, %s: %+v", out, stepPhases(in.Status), in.Status.Steps)
	}
	if got := stepPhases(in.Status); got != "notify=succeeded group=succeeded,sa=succeeded,sb=succeeded never=skipped" {
		t.Fatalf("phases %s", got)
	}
	if hits.Load() != 1 || body.Load() != `{"ready":1}` {
		t.Fatalf("webhook hit %d times with %v", hits.Load(), body.Load())
	}
	h.run(in)
	if hits.Load() != 1 {
		t.Fatalf("a succeeded step ran again")
	}
}

func TestFailingStepRetriesThenFails(t *testing.T) {
	h := newHarness(t)
	in := h.instance(webApp(`
    steps:
    - {name: call, type: request, properties: {url: "http://127.0.0.1:1/nothing"}}
    - {name: after, type: apply-component, properties: {component: web}}
    - {name: cleanup, type: apply-component, properties: {component: web}, if: always}
`), &fakeDispatcher{})
	var out Outcome
	for i := 0; i < 4; i++ {
		out = h.run(in)
		h.now = h.now.Add(time.Hour)
	}
	s := in.Status.Steps
	if out.Phase != v1beta1.WorkflowRunFailed || s[0].Reason != ReasonFailedAfterRetries ||
		s[1].Phase != v1beta1.WorkflowStepPhaseSkipped || s[2].Phase != v1beta1.WorkflowStepPhaseSucceeded {
		t.Fatalf("outcome %+v, %s: %+v", out, stepPhases(in.Status), s)
	}
}

func TestDependsOnCycleIsReported(t *testing.T) {
	h := newHarness(t)
	app, _ := appfile.ParseApplicationYAML([]byte(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: app, namespace: default}
spec:
  components: [{name: web, type: webservice, properties: {image: nginx}}]
  workflow:
    mode: {steps: DAG}
    steps:
    - {name: a, type: suspend, dependsOn: [b]}
    - {name: b, type: suspend, dependsOn: [a]}
`))
	af, err := h.parser.Parse(context.Background(), app)
	if err != nil {
		t.Fatal(err)
	}
	_, err = PlanFor(context.Background(), af, DefaultGenerator(), h.loader)
	if err == nil || !strings.Contains(err.Error(), "dependsOn cycle: a -> b -> a") {
		t.Fatalf("err = %v", err)
	}
}

func TestApplyComponentInputsReachComponentProperties(t *testing.T) {
	h := newHarness(t)
	d := &recordingDispatcher{fakeDispatcher: fakeDispatcher{}}
	in := h.instance(webApp(`
    steps:
    - name: read
      type: print-message-in-status
      properties: {message: "2"}
      outputs: [{name: cpu, valueFrom: 'msg.$returns.message'}]
    - name: apply
      type: apply-component
      inputs: [{from: cpu, parameterKey: cpu}]
      properties: {component: web}
`), &d.fakeDispatcher)
	in.Handlers = NewHandlers(&Env{Dispatcher: d, Namespace: "default", App: "app"})
	if out := h.run(in); out.Phase != v1beta1.WorkflowRunSucceeded {
		t.Fatalf("outcome %+v: %+v", out, in.Status.Steps)
	}
	if d.props["cpu"] != "2" || d.props["image"] != "nginx" {
		t.Fatalf("component applied with properties %v", d.props)
	}
}

type recordingDispatcher struct {
	fakeDispatcher
	props map[string]any
}

func (r *recordingDispatcher) ApplyComponent(ctx context.Context, c map[string]any, cl, ns string) (map[string]any, map[string]any, error) {
	r.props, _ = c["properties"].(map[string]any)
	return r.fakeDispatcher.ApplyComponent(ctx, c, cl, ns)
}

func TestTimeoutFailsAWaitingStep(t *testing.T) {
	h := newHarness(t)
	in := h.instance(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: app}
spec:
  components: [{name: web, type: webservice, properties: {image: nginx}}]
`, &fakeDispatcher{})
	spec := &appfile.WorkflowStep{Name: "gate", Type: "gate", Timeout: "1m"}
	def := &appfile.Definition{Kind: appfile.KindWorkflowStep, Name: "gate", Template: `import "vela/op"
wait: op.#ConditionalWait & {continue: false, message: "never"}
`}
	in.Steps = []*appfile.Step{{Name: "gate", Type: "gate", Template: appfile.NewTemplate(def), Spec: spec}}
	in.Mode = v1beta1.WorkflowExecuteMode{Steps: v1beta1.WorkflowModeStep, SubSteps: v1beta1.WorkflowModeDAG}
	if out := h.run(in); out.Phase != v1beta1.WorkflowRunExecuting || in.Status.Steps[0].Message != "never" {
		t.Fatalf("%+v %+v", out, in.Status.Steps)
	}
	h.now = h.now.Add(2 * time.Minute)
	if out := h.run(in); out.Phase != v1beta1.WorkflowRunFailed || in.Status.Steps[0].Reason != ReasonTimeout {
		t.Fatalf("%+v %+v", out, in.Status.Steps)
	}
}

// nsDispatcher records the namespace and component each apply got.
type nsDispatcher struct {
	fakeDispatcher
	mu  sync.Mutex
	got []string
}

func (n *nsDispatcher) ApplyComponent(ctx context.Context, c map[string]any, cl, ns string) (map[string]any, map[string]any, error) {
	props, _ := c["properties"].(map[string]any)
	traits, _ := c["traits"].([]any)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, fmt.Sprintf("%s@%s/%s image=%v traits=%d", c["name"], cl, ns, props["image"], len(traits)))
	sort.Strings(n.got)
	return n.fakeDispatcher.ApplyComponent(ctx, c, cl, ns)
}

func TestDeployAppliesOverrideAndTopologyNamespace(t *testing.T) {
	h := newHarness(t)
	d := &nsDispatcher{}
	in := h.instance(`
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: app}
spec:
  components:
  - {name: web, type: webservice, properties: {image: nginx}, traits: [{type: scaler, properties: {replicas: 1}}]}
  - {name: db, type: webservice, properties: {image: pg}}
  policies:
  - {name: prod, type: topology, properties: {clusters: [local], namespace: prod}}
  - name: bigger
    type: override
    properties:
      components:
      - {name: web, properties: {image: "nginx:2"}, traits: [{type: scaler, disable: true}]}
`, &d.fakeDispatcher)
	in.Handlers = NewHandlers(&Env{Dispatcher: d, Namespace: "default", App: "app"})
	if len(in.Steps) != 1 || in.Steps[0].Name != "deploy-prod" {
		t.Fatalf("default steps: %+v", in.Steps)
	}
	if out := h.run(in); out.Phase != v1beta1.WorkflowRunSucceeded {
		t.Fatalf("%+v %+v", out, in.Status.Steps)
	}
	if got := strings.Join(d.got, "; "); got != "db@local/prod image=pg traits=0; web@local/prod image=nginx:2 traits=0" {
		t.Fatalf("applied %s", got)
	}
}
