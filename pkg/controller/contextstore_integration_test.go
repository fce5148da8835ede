package controller_test

import (
	"context"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/application"
	"velad.io/velad/pkg/workflow"
)

// countingClient counts the requests the context store makes, by verb, and
// passes them on to the API server.
type countingClient struct {
	client.Client
	mu    sync.Mutex
	verbs map[string]int
}

func (c *countingClient) count(verb string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.verbs[verb]++
}

func (c *countingClient) calls() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.verbs
	c.verbs = map[string]int{}
	return out
}

func (c *countingClient) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	c.count("GET")
	return c.Client.Get(ctx, key, obj, opts...)
}

func (c *countingClient) Create(ctx context.Context, obj client.Object, opts ...client.CreateOption) error {
	c.count("CREATE")
	return c.Client.Create(ctx, obj, opts...)
}

func (c *countingClient) Delete(ctx context.Context, obj client.Object, opts ...client.DeleteOption) error {
	c.count("DELETE")
	return c.Client.Delete(ctx, obj, opts...)
}

func (c *countingClient) Patch(ctx context.Context, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
	c.count("PATCH")
	return c.Client.Patch(ctx, obj, patch, opts...)
}

// contextStore is the controller's store of app's context over a counting client.
func contextStore(t *testing.T, app string, st *v1beta1.WorkflowStatus, newApp bool) (*workflow.ConfigMapStore, *countingClient) {
	t.Helper()
	cc := &countingClient{Client: direct(t), verbs: map[string]int{}}
	return &workflow.ConfigMapStore{Client: cc, Namespace: "default", App: app, Status: st, NewApp: newApp}, cc
}

// contextCM reads app's context ConfigMap from the API server (nil when there is none).
func contextCM(t *testing.T, app string) *corev1.ConfigMap {
	t.Helper()
	cm := &corev1.ConfigMap{}
	err := direct(t).Get(context.Background(), client.ObjectKey{Namespace: "default", Name: workflow.ContextConfigMapName(app)}, cm)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return cm
}

// staleContext creates app's context ConfigMap as a deleted namesake or an
// older run left it: a variable "old" and a key of someone else's.
func staleContext(t *testing.T, app string) *corev1.ConfigMap {
	t.Helper()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: workflow.ContextConfigMapName(app)},
		Data: map[string]string{"workflow": `{"vars":{"old":"stale"}}`, "other": "stale"}}
	if err := c.Create(context.Background(), cm); err != nil {
		t.Fatal(err)
	}
	return cm
}

// loadNothing loads through s, which must neither send a request nor find data.
func loadNothing(t *testing.T, s *workflow.ConfigMapStore, cc *countingClient, what string) *workflow.Data {
	t.Helper()
	d, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, what, cc, nil)
	if len(d.Vars) != 0 {
		t.Errorf("%s loaded %v: data of no step the status records", what, d.Vars)
	}
	return d
}

func mustSave(t *testing.T, s *workflow.ConfigMapStore, d *workflow.Data) {
	t.Helper()
	if err := s.Save(context.Background(), d); err != nil {
		t.Fatal(err)
	}
}

func wantCalls(t *testing.T, what string, cc *countingClient, want map[string]int) {
	t.Helper()
	got := cc.calls()
	for _, v := range []string{"GET", "CREATE", "DELETE", "PATCH"} {
		if got[v] != want[v] {
			t.Errorf("%s: %v requests, want %v", what, got, want)
			return
		}
	}
}

// A new Application whose namesake's context ConfigMap is still there: the
// reset and the loads skip the ConfigMap (no request), the first save replaces
// it whole (no stale key merged in), later loads and a reset read and delete it.
func TestIntegrationContextStoreNewAppSkipsAbsentContext(t *testing.T) {
	setup(t)
	ctx := context.Background()
	stale := staleContext(t, "ctx-new")
	st := &v1beta1.WorkflowStatus{}
	s, cc := contextStore(t, "ctx-new", st, true)

	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, "reset of a new Application", cc, nil)
	if ref := st.ContextBackend; ref == nil || ref.Name != workflow.ContextConfigMapName("ctx-new") || ref.UID != "" {
		t.Fatalf("contextBackend after the reset: %+v, want the ConfigMap without a UID", ref)
	}
	d := loadNothing(t, s, cc, "a load before any save")
	d.Vars["new"] = "fresh"
	mustSave(t, s, d)
	cm := contextCM(t, "ctx-new")
	if cm == nil || cm.UID == stale.UID || len(cm.Data) != 1 || cm.Data["workflow"] != `{"vars":{"new":"fresh"}}` {
		t.Fatalf("after the first save the ConfigMap is %+v, want a new one holding only the new data", cm)
	}
	if st.ContextBackend.UID != cm.UID {
		t.Errorf("contextBackend UID %q, want the saved ConfigMap's %q", st.ContextBackend.UID, cm.UID)
	}
	cc.calls()

	d, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, "load after a save", cc, map[string]int{"GET": 1})
	if d.Vars["new"] != "fresh" || d.Vars["old"] != nil {
		t.Errorf("loaded %v after the save", d.Vars)
	}
	d.Vars["more"] = "x"
	mustSave(t, s, d)
	wantCalls(t, "a second save", cc, map[string]int{"PATCH": 1})

	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	wantCalls(t, "reset after a save", cc, map[string]int{"DELETE": 1})
	if cm := contextCM(t, "ctx-new"); cm != nil {
		t.Errorf("the context survived the reset: %v", cm.Data)
	}
	if st.ContextBackend == nil || st.ContextBackend.UID != "" {
		t.Errorf("contextBackend after the reset: %+v", st.ContextBackend)
	}
}

// A status an older velad wrote (steps recorded, no contextBackend) does not
// say whether a context was saved: it is read, and a reset deletes it; so does
// a status a restart or rollback cleared (not a new Application).
func TestIntegrationContextStoreTrustsOnlyItsOwnMarker(t *testing.T) {
	setup(t)
	ctx := context.Background()
	staleContext(t, "ctx-old")
	older := &v1beta1.WorkflowStatus{Phase: v1beta1.WorkflowRunExecuting, Steps: []v1beta1.WorkflowStepStatus{{StepStatus: v1beta1.StepStatus{ID: "a", Name: "a", Phase: v1beta1.WorkflowStepPhaseSucceeded}}}}
	s, cc := contextStore(t, "ctx-old", older, false)
	d, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantCalls(t, "load under an older velad's status", cc, map[string]int{"GET": 1})
	if d.Vars["old"] != "stale" {
		t.Errorf("an older velad's context was not loaded: %v", d.Vars)
	}
	mustSave(t, s, d)
	wantCalls(t, "save under an older velad's status", cc, map[string]int{"PATCH": 1})
	if cm := contextCM(t, "ctx-old"); older.ContextBackend == nil || cm == nil || older.ContextBackend.UID != cm.UID {
		t.Errorf("contextBackend %+v after saving", older.ContextBackend)
	}

	for _, tc := range []struct {
		name string
		st   *v1beta1.WorkflowStatus
	}{
		{"an older velad's status", &v1beta1.WorkflowStatus{Phase: v1beta1.WorkflowRunSucceeded, Finished: true}},
		{"a status a restart cleared", &v1beta1.WorkflowStatus{}},
	} {
		if contextCM(t, "ctx-old") == nil {
			staleContext(t, "ctx-old")
		}
		s, cc := contextStore(t, "ctx-old", tc.st, false)
		if err := s.Reset(ctx); err != nil {
			t.Fatal(err)
		}
		wantCalls(t, "reset of "+tc.name, cc, map[string]int{"DELETE": 1})
		if cm := contextCM(t, "ctx-old"); cm != nil {
			t.Errorf("reset of %s left the context %v", tc.name, cm.Data)
		}
	}
}

// A save whose status write was lost (a crash in between): the status still
// says nothing was saved, so the next run does not load that data (its steps
// run again) and its first save replaces the ConfigMap.
func TestIntegrationContextStoreLostStatusWrite(t *testing.T) {
	setup(t)
	ctx := context.Background()
	st := &v1beta1.WorkflowStatus{}
	s, _ := contextStore(t, "ctx-lost", st, true)
	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	persisted := st.DeepCopy() // the status as last written
	d, _ := s.Load(ctx)
	d.Vars["out"] = "first"
	mustSave(t, s, d)
	first := contextCM(t, "ctx-lost")

	// the controller restarts with the persisted status
	s, cc := contextStore(t, "ctx-lost", persisted, false)
	d = loadNothing(t, s, cc, "a load after a lost status write")
	d.Vars["out"] = "again"
	mustSave(t, s, d)
	cm := contextCM(t, "ctx-lost")
	if cm == nil || cm.UID == first.UID || cm.Data["workflow"] != `{"vars":{"out":"again"}}` || persisted.ContextBackend.UID != cm.UID {
		t.Errorf("after the second first save: ConfigMap %+v, contextBackend %+v", cm, persisted.ContextBackend)
	}
}

// Through the controller: a new Application whose namesake's context is still
// there delivers without reading or deleting it, and records that it saved
// none; a suspend with a duration saves a context, which `vela workflow
// restart` (the annotation, and the CLI clearing status.workflow) resets.
func TestIntegrationContextBackendThroughRestarts(t *testing.T) {
	setup(t)
	ctx := context.Background()
	stale := staleContext(t, "ctx-app")
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: ctx-app}
spec:
  components:
  - {name: ctx-app-web, type: webservice, properties: {image: nginx}}
  workflow:
    steps:
    - {name: deploy, type: apply-component, properties: {component: ctx-app-web}}
    - {name: hold, type: suspend, properties: {duration: 1h}}
`)
	app := waitPhase(t, "ctx-app", v1beta1.ApplicationWorkflowSuspending)
	cm := contextCM(t, "ctx-app")
	ref := app.Status.Workflow.ContextBackend
	if cm == nil || cm.UID == stale.UID || ref == nil || ref.UID != cm.UID || cm.Data["other"] != "" {
		t.Fatalf("suspended with a deadline: ConfigMap %+v, contextBackend %+v (want a new ConfigMap the status names)", cm, ref)
	}

	app.Annotations = map[string]string{"app.oam.dev/restart-workflow": "true"}
	if err := c.Update(ctx, app); err != nil {
		t.Fatal(err)
	}
	app = suspendedWithNewContext(t, "ctx-app", cm.UID, "the annotation's restart")
	saved := app.Status.Workflow.ContextBackend.UID
	if err := application.Restart(ctx, c, app); err != nil {
		t.Fatal(err)
	}
	suspendedWithNewContext(t, "ctx-app", saved, "the CLI's restart")
}

// suspendedWithNewContext waits until app suspended again after a restart with a
// context ConfigMap other than old, and checks the status names it.
func suspendedWithNewContext(t *testing.T, name string, old types.UID, after string) *v1beta1.Application {
	t.Helper()
	app := waitFor(t, name, 60*time.Second, "suspended with a new context after "+after, func(a *v1beta1.Application) bool {
		ref := (*corev1.ObjectReference)(nil)
		if a.Status.Workflow != nil {
			ref = a.Status.Workflow.ContextBackend
		}
		return a.Status.Phase == v1beta1.ApplicationWorkflowSuspending && ref != nil && ref.UID != "" && ref.UID != old
	})
	if now := contextCM(t, name); now == nil || now.UID != app.Status.Workflow.ContextBackend.UID {
		t.Errorf("after %s the status names %+v, the ConfigMap is %+v", after, app.Status.Workflow.ContextBackend, now)
	}
	return app
}

// The benchmark's Application saves no context: the status says so, and the
// namesake's ConfigMap is neither read into it nor deleted.
func TestIntegrationNoContextSavedIsRecorded(t *testing.T) {
	setup(t)
	stale := staleContext(t, "ctx-plain")
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: ctx-plain}
spec:
  components:
  - {name: ctx-plain-web, type: webservice, properties: {image: nginx}}
`)
	app := waitPhase(t, "ctx-plain", v1beta1.ApplicationRunning)
	if ref := app.Status.Workflow.ContextBackend; ref == nil || ref.UID != "" || ref.Name != workflow.ContextConfigMapName("ctx-plain") {
		t.Errorf("contextBackend %+v, want the ConfigMap's name without a UID (nothing saved)", ref)
	}
	if cm := contextCM(t, "ctx-plain"); cm == nil || cm.UID != stale.UID || cm.Data["other"] != "stale" {
		t.Errorf("the namesake's ConfigMap was touched: %+v", cm)
	}
}
