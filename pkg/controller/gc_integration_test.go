package controller_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/testenv"
)

// cmComponent is a k8s-objects component of one ConfigMap with data k: v.
func cmComponent(comp, cm, v string) string {
	return fmt.Sprintf(`
  - name: %s
    type: k8s-objects
    properties:
      objects:
      - {apiVersion: v1, kind: ConfigMap, metadata: {name: %s}, data: {k: %q}}`, comp, cm, v)
}

// appYAML is an Application in default with the given components and policies.
func appYAML(name, components, policies string) string {
	s := "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: " + name + "}\nspec:\n  components:" + components + "\n"
	if policies != "" {
		s += "  policies:\n" + policies + "\n"
	}
	return s
}

func key(name string) client.ObjectKey { return client.ObjectKey{Namespace: "default", Name: name} }

// updateApp changes the Application's spec with f, retrying on conflicts.
func updateApp(t *testing.T, name string, f func(*v1beta1.Application)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		app := &v1beta1.Application{}
		if err := c.Get(context.Background(), key(name), app); err != nil {
			return err
		}
		f(app)
		return c.Update(context.Background(), app)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// replaceSpec sets the Application's spec to the one in manifest.
func replaceSpec(t *testing.T, name, manifest string) {
	t.Helper()
	want := &v1beta1.Application{}
	if err := yaml.Unmarshal([]byte(manifest), want); err != nil {
		t.Fatal(err)
	}
	updateApp(t, name, func(a *v1beta1.Application) { a.Spec = want.Spec })
}

// touch makes the controller reconcile the Application again, as a re-sync does.
func touch(t *testing.T, name string) {
	t.Helper()
	updateApp(t, name, func(a *v1beta1.Application) {
		if a.Annotations == nil {
			a.Annotations = map[string]string{}
		}
		a.Annotations["test/touched"] = time.Now().Format(time.RFC3339Nano)
	})
}

// runningAt waits until the Application runs revision rev of its current spec.
func runningAt(t *testing.T, name, rev string) *v1beta1.Application {
	t.Helper()
	return waitFor(t, name, 90*time.Second, "running at "+rev, func(a *v1beta1.Application) bool {
		return a.Status.Phase == v1beta1.ApplicationRunning && a.Status.LatestRevision != nil &&
			a.Status.LatestRevision.Name == rev && a.Status.ObservedGeneration == a.Generation
	})
}

// eventually polls cond for up to a minute.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ok, msg := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not %s after 60s: %s", what, msg)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func getCM(name string) (*corev1.ConfigMap, error) {
	cm := &corev1.ConfigMap{}
	return cm, c.Get(context.Background(), key(name), cm)
}

func waitGone(t *testing.T, obj client.Object) {
	t.Helper()
	eventually(t, obj.GetName()+" gone", func() (bool, string) {
		err := c.Get(context.Background(), client.ObjectKeyFromObject(obj), obj)
		return apierrors.IsNotFound(err), fmt.Sprintf("get: %v", err)
	})
}

func mustExist(t *testing.T, obj client.Object) {
	t.Helper()
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
		t.Errorf("%T %s: %v", obj, obj.GetName(), err)
	}
}

func cmRef(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
}

// direct is a client that reads from the API server, not from the manager's
// cache: the caches of two kinds follow separate watches, so an Application
// gone from its cache says nothing about what the ResourceTracker cache holds.
func direct(t *testing.T) client.Client {
	t.Helper()
	cl, err := client.New(env.Config, client.Options{Scheme: c.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// trackerNames lists app's ResourceTrackers as the API server has them.
func trackerNames(t *testing.T, app string) []string {
	t.Helper()
	var l v1beta1.ResourceTrackerList
	if err := direct(t).List(context.Background(), &l, client.MatchingLabels{"app.oam.dev/name": app}); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, rt := range l.Items {
		out = append(out, rt.Name)
	}
	return out
}

func deleteApp(t *testing.T, name string) {
	t.Helper()
	app := &v1beta1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
	if err := c.Delete(context.Background(), app); client.IgnoreNotFound(err) != nil {
		t.Fatal(err)
	}
}

func TestIntegrationGCDeletesWhatTheNewRevisionDropped(t *testing.T) {
	setup(t)
	create(t, appYAML("gc-drop", `
  - name: gc-drop-web
    type: webservice
    properties: {image: nginx}
    traits: [{type: expose, properties: {port: [80]}}]`+cmComponent("gc-drop-cm", "gc-drop-cm", "1"), ""))
	runningAt(t, "gc-drop", "gc-drop-v1")
	var d appsv1.Deployment
	if err := c.Get(context.Background(), key("gc-drop-web"), &d); err != nil {
		t.Fatal(err)
	}
	mustExist(t, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "gc-drop-web"}})
	replaceSpec(t, "gc-drop", appYAML("gc-drop", `
  - {name: gc-drop-web, type: webservice, properties: {image: nginx}}`, ""))
	app := runningAt(t, "gc-drop", "gc-drop-v2")
	waitGone(t, cmRef("gc-drop-cm"))
	waitGone(t, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "gc-drop-web"}})
	var d2 appsv1.Deployment
	if err := c.Get(context.Background(), key("gc-drop-web"), &d2); err != nil || d2.UID != d.UID {
		t.Errorf("the kept Deployment was recreated or removed: %v", err)
	}
	eventually(t, "only the current tracker (nothing is kept in a root one)", func() (bool, string) {
		names := trackerNames(t, "gc-drop")
		return strings.Join(names, ",") == "gc-drop-v2-default", strings.Join(names, ",")
	})
	app = waitFor(t, "gc-drop", 30*time.Second, "applied resources without the collected ones", func(a *v1beta1.Application) bool {
		for _, r := range a.Status.AppliedResources {
			if r.Name == "gc-drop-cm" {
				return false
			}
		}
		return true
	})
	_ = app
}

func TestIntegrationGCPolicyRules(t *testing.T) {
	setup(t)
	policies := `
  - name: gc
    type: garbage-collect
    properties:
      rules:
      - {selector: {traitTypes: [expose]}, strategy: onAppDelete}
      - {selector: {componentNames: [gcr-never]}, strategy: never}`
	create(t, appYAML("gcr", `
  - name: gcr-web
    type: webservice
    properties: {image: nginx}
    traits: [{type: expose, properties: {port: [80]}}]`+cmComponent("gcr-cm", "gcr-cm", "1")+cmComponent("gcr-never", "gcr-never-cm", "1"), policies))
	runningAt(t, "gcr", "gcr-v1")
	replaceSpec(t, "gcr", appYAML("gcr", `
  - {name: gcr-web, type: webservice, properties: {image: nginx}}`, policies))
	runningAt(t, "gcr", "gcr-v2")
	waitGone(t, cmRef("gcr-cm"))
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "gcr-web"}}
	mustExist(t, svc)                   // onAppDelete: kept on update
	mustExist(t, cmRef("gcr-never-cm")) // never
	deleteApp(t, "gcr")
	waitGone(t, svc)
	waitGone(t, &v1beta1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "gcr"}})
	mustExist(t, cmRef("gcr-never-cm"))
	_ = c.Delete(context.Background(), cmRef("gcr-never-cm"))
}

func TestIntegrationGCKeepLegacyResource(t *testing.T) {
	setup(t)
	policies := `
  - {name: gc, type: garbage-collect, properties: {keepLegacyResource: true}}`
	create(t, appYAML("legacy", cmComponent("legacy-a", "legacy-a", "1")+cmComponent("legacy-b", "legacy-b", "1"), policies))
	runningAt(t, "legacy", "legacy-v1")
	replaceSpec(t, "legacy", appYAML("legacy", cmComponent("legacy-a", "legacy-a", "2"), policies))
	runningAt(t, "legacy", "legacy-v2")
	touch(t, "legacy")
	time.Sleep(2 * time.Second)
	mustExist(t, cmRef("legacy-b"))
	if names := trackerNames(t, "legacy"); len(names) != 2 {
		t.Errorf("trackers %v, want v1 and v2 (no root: nothing is kept in it)", names)
	}
	deleteApp(t, "legacy")
	waitGone(t, cmRef("legacy-b"))
	waitGone(t, cmRef("legacy-a"))
}

func TestIntegrationGCDependencyOrderAndBlockedFinalizer(t *testing.T) {
	setup(t)
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: ordered}
spec:
  components:`+cmComponent("ord-base", "ord-base", "1")+cmComponent("ord-top", "ord-top", "1")+`
    dependsOn: [ord-base]
  policies:
  - {name: gc, type: garbage-collect, properties: {order: dependency}}
`)
	runningAt(t, "ordered", "ordered-v1")
	// A finalizer holds the dependent: its dependency must wait, and the app says which one waits.
	top, _ := getCM("ord-top")
	top.Finalizers = []string{"test.velad.io/hold"}
	if err := c.Update(context.Background(), top); err != nil {
		t.Fatal(err)
	}
	deleteApp(t, "ordered")
	app := waitFor(t, "ordered", 30*time.Second, "waiting for ord-top", func(a *v1beta1.Application) bool {
		return strings.Contains(a.Status.GetCondition(v1beta1.TypeReady).Message, "ConfigMap default/ord-top")
	})
	if app.Status.Phase != v1beta1.ApplicationDeleting {
		t.Errorf("phase %s while deleting", app.Status.Phase)
	}
	time.Sleep(time.Second)
	mustExist(t, cmRef("ord-base")) // its dependent is still there
	top, _ = getCM("ord-top")
	top.Finalizers = nil
	if err := c.Update(context.Background(), top); err != nil {
		t.Fatal(err)
	}
	waitGone(t, cmRef("ord-base"))
	waitGone(t, &v1beta1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "ordered"}})
}

func TestIntegrationBlockedResourceDoesNotWedgeDeletion(t *testing.T) {
	setup(t)
	create(t, appYAML("wedge", cmComponent("wedge-a", "wedge-a", "1")+cmComponent("wedge-b", "wedge-b", "1"), ""))
	runningAt(t, "wedge", "wedge-v1")
	a, _ := getCM("wedge-a")
	a.Finalizers = []string{"test.velad.io/hold"}
	if err := c.Update(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	deleteApp(t, "wedge")
	waitGone(t, cmRef("wedge-b"))
	waitFor(t, "wedge", 30*time.Second, "naming the waiting resource", func(a *v1beta1.Application) bool {
		return strings.Contains(a.Status.GetCondition(v1beta1.TypeReady).Message, "ConfigMap default/wedge-a")
	})
	a, _ = getCM("wedge-a")
	a.Finalizers = nil
	if err := c.Update(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	waitGone(t, &v1beta1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "wedge"}})
	if names := trackerNames(t, "wedge"); len(names) != 0 {
		t.Errorf("trackers left: %v", names)
	}
}

// TestIntegrationGCSurvivesControllerRestart stops the controller while GC
// waits on a resource, restarts it, and checks the journal (the outdated
// tracker) lets the new controller finish: nothing left, nothing wrongly deleted.
func TestIntegrationGCSurvivesControllerRestart(t *testing.T) {
	setup(t)
	create(t, appYAML("gcrestart", cmComponent("gcrs-a", "gcrs-a", "1")+cmComponent("gcrs-b", "gcrs-b", "1")+cmComponent("gcrs-c", "gcrs-c", "1"), ""))
	runningAt(t, "gcrestart", "gcrestart-v1")
	b, _ := getCM("gcrs-b")
	b.Finalizers = []string{"test.velad.io/hold"}
	if err := c.Update(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	keep, _ := getCM("gcrs-a")
	replaceSpec(t, "gcrestart", appYAML("gcrestart", cmComponent("gcrs-a", "gcrs-a", "1"), ""))
	runningAt(t, "gcrestart", "gcrestart-v2")
	waitGone(t, cmRef("gcrs-c"))
	stopController() // GC is midway: gcrs-b waits on its finalizer
	if names := trackerNames(t, "gcrestart"); !contains(names, "gcrestart-v1-default") {
		t.Fatalf("the outdated tracker went before its resources: %v", names)
	}
	if err := runManager(); err != nil {
		t.Fatal(err)
	}
	b, _ = getCM("gcrs-b")
	b.Finalizers = nil
	if err := c.Update(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	waitGone(t, cmRef("gcrs-b"))
	eventually(t, "outdated tracker collected", func() (bool, string) {
		names := trackerNames(t, "gcrestart")
		return !contains(names, "gcrestart-v1-default"), strings.Join(names, ",")
	})
	a, err := getCM("gcrs-a")
	if err != nil || a.UID != keep.UID {
		t.Errorf("gcrs-a was deleted or recreated: %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func failedWith(t *testing.T, name, msg string) {
	t.Helper()
	waitFor(t, name, 90*time.Second, "failed with "+msg, func(a *v1beta1.Application) bool {
		return a.Status.Phase == v1beta1.ApplicationWorkflowFailed &&
			strings.Contains(a.Status.GetCondition(v1beta1.ConditionWorkflow).Message, msg)
	})
}

func TestIntegrationOwnershipConflict(t *testing.T) {
	setup(t)
	create(t, appYAML("owner-1", cmComponent("owned", "owned-cm", "first"), ""))
	runningAt(t, "owner-1", "owner-1-v1")
	create(t, appYAML("owner-2", cmComponent("owned", "owned-cm", "second"), ""))
	failedWith(t, "owner-2", "conflict: ConfigMap default/owned-cm is managed by application default/owner-1")
	deleteApp(t, "owner-2")
	waitGone(t, &v1beta1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "owner-2"}})
	cm, err := getCM("owned-cm")
	if err != nil || cm.Data["k"] != "first" || cm.Labels["app.oam.dev/name"] != "owner-1" {
		t.Errorf("the first owner lost its ConfigMap: %v %v %v", err, cm.Data, cm.Labels)
	}
	deleteApp(t, "owner-1")
	waitGone(t, cmRef("owned-cm"))
}

func TestIntegrationSharedResource(t *testing.T) {
	setup(t)
	shared := `
  - {name: share, type: shared-resource, properties: {rules: [{selector: {resourceTypes: [ConfigMap]}}]}}`
	create(t, appYAML("share-1", cmComponent("s", "shared-cm", "one"), shared))
	runningAt(t, "share-1", "share-1-v1")
	create(t, appYAML("share-2", cmComponent("s", "shared-cm", "two"), shared))
	runningAt(t, "share-2", "share-2-v1")
	cm, _ := getCM("shared-cm")
	if got := cm.Annotations["app.oam.dev/shared-by"]; got != "default/share-1,default/share-2" {
		t.Errorf("shared-by %q", got)
	}
	if cm.Data["k"] != "one" || cm.Labels["app.oam.dev/name"] != "share-1" {
		t.Errorf("a sharer changed the owner's object: %v %v", cm.Data, cm.Labels)
	}
	deleteApp(t, "share-1")
	waitGone(t, &v1beta1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "share-1"}})
	cm, err := getCM("shared-cm")
	if err != nil || cm.Annotations["app.oam.dev/shared-by"] != "default/share-2" || cm.Labels["app.oam.dev/name"] != "share-2" {
		t.Fatalf("after the first sharer left: %v %v %v", err, cm.Annotations, cm.Labels)
	}
	deleteApp(t, "share-2")
	waitGone(t, cmRef("shared-cm"))
}

func TestIntegrationTakeOverAndReadOnly(t *testing.T) {
	setup(t)
	for _, n := range []string{"foreign-a", "foreign-b", "foreign-ro"} {
		if err := c.Create(context.Background(), &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: n}, Data: map[string]string{"k": "theirs"}}); err != nil {
			t.Fatal(err)
		}
	}
	create(t, appYAML("no-takeover", cmComponent("x", "foreign-a", "mine"), ""))
	failedWith(t, "no-takeover", "ConfigMap default/foreign-a exists but is not managed by any application")
	create(t, appYAML("takeover", cmComponent("x", "foreign-b", "mine"), `
  - {name: adopt, type: take-over, properties: {rules: [{selector: {resourceNames: [foreign-b]}}]}}`))
	runningAt(t, "takeover", "takeover-v1")
	if cm, _ := getCM("foreign-b"); cm.Data["k"] != "mine" || cm.Labels["app.oam.dev/name"] != "takeover" {
		t.Errorf("not taken over: %v %v", cm.Data, cm.Labels)
	}
	readOnly := `
  - {name: ro, type: read-only, properties: {rules: [{selector: {resourceTypes: [ConfigMap]}}]}}`
	create(t, appYAML("reader", cmComponent("x", "foreign-ro", "mine"), readOnly))
	runningAt(t, "reader", "reader-v1")
	if cm, _ := getCM("foreign-ro"); cm.Data["k"] != "theirs" || cm.Labels["app.oam.dev/name"] != "" {
		t.Errorf("read-only resource modified: %v %v", cm.Data, cm.Labels)
	}
	create(t, appYAML("reader-missing", cmComponent("x", "no-such-cm", "mine"), readOnly))
	failedWith(t, "reader-missing", "read-only ConfigMap default/no-such-cm does not exist")
	for _, n := range []string{"no-takeover", "takeover", "reader", "reader-missing"} {
		deleteApp(t, n)
	}
	waitGone(t, cmRef("foreign-b"))
	waitGone(t, &v1beta1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "reader"}})
	mustExist(t, cmRef("foreign-ro"))
	mustExist(t, cmRef("foreign-a"))
	for _, n := range []string{"foreign-a", "foreign-ro"} {
		_ = c.Delete(context.Background(), cmRef(n))
	}
}

func replicas(t *testing.T, name string) int32 {
	t.Helper()
	var d appsv1.Deployment
	if err := c.Get(context.Background(), key(name), &d); err != nil {
		t.Fatal(err)
	}
	return *d.Spec.Replicas
}

// scale changes a Deployment's replicas by hand, as `kubectl scale` would.
func scale(t *testing.T, name string, n int32) {
	t.Helper()
	patch := []byte(fmt.Sprintf(`{"spec":{"replicas":%d}}`, n))
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
	if err := c.Patch(context.Background(), d, client.RawPatch(types.MergePatchType, patch), client.FieldOwner("kubectl")); err != nil {
		t.Fatal(err)
	}
}

func TestIntegrationStateKeepRepairsDrift(t *testing.T) {
	setup(t)
	create(t, appYAML("drift", `
  - name: drift-web
    type: webservice
    properties: {image: nginx}
    traits: [{type: scaler, properties: {replicas: 1}}]`, ""))
	runningAt(t, "drift", "drift-v1")
	scale(t, "drift-web", 3)
	touch(t, "drift") // a re-sync
	eventually(t, "replicas set back to 1", func() (bool, string) {
		n := replicas(t, "drift-web")
		return n == 1, fmt.Sprint(n)
	})
	d := &appsv1.Deployment{}
	if err := c.Get(context.Background(), key("drift-web"), d); err != nil {
		t.Fatal(err)
	}
	uid := d.UID
	if err := c.Delete(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	touch(t, "drift")
	eventually(t, "the deleted Deployment back", func() (bool, string) {
		err := c.Get(context.Background(), key("drift-web"), d)
		return err == nil && d.UID != uid, fmt.Sprint(err)
	})
}

// TestIntegrationStateKeepRepairsUnwatchedDrift: a Service is cached but not
// watched, and state keeping skips objects whose cached copy holds every
// applied value (inSync), so a change of a Service's label or port is
// repaired by the next re-sync that sees it.
func TestIntegrationStateKeepRepairsUnwatchedDrift(t *testing.T) {
	setup(t)
	create(t, appYAML("svcdrift", `
  - name: svcdrift-web
    type: webservice
    properties: {image: nginx, ports: [{port: 80, expose: true}]}`, ""))
	runningAt(t, "svcdrift", "svcdrift-v1")
	if err := c.Patch(context.Background(), &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "svcdrift-web"}},
		client.RawPatch(types.JSONPatchType, []byte(`[{"op":"replace","path":"/metadata/labels/app.oam.dev~1resourceType","value":"changed"},{"op":"replace","path":"/spec/ports/0/targetPort","value":8080}]`)),
		client.FieldOwner("kubectl")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the Service's label and port set back", func() (bool, string) {
		touch(t, "svcdrift") // a re-sync
		svc := &corev1.Service{}
		if err := c.Get(context.Background(), key("svcdrift-web"), svc); err != nil {
			return false, err.Error()
		}
		got := fmt.Sprintf("resourceType %q, targetPort %s", svc.Labels["app.oam.dev/resourceType"], svc.Spec.Ports[0].TargetPort.String())
		return svc.Labels["app.oam.dev/resourceType"] == "TRAIT" && svc.Spec.Ports[0].TargetPort.IntValue() == 80, got
	})
}

func TestIntegrationApplyOnce(t *testing.T) {
	setup(t)
	create(t, appYAML("once", `
  - name: once-web
    type: webservice
    properties: {image: nginx}
    traits: [{type: scaler, properties: {replicas: 1}}]`, `
  - {name: once, type: apply-once, properties: {enable: true}}`))
	runningAt(t, "once", "once-v1")
	scale(t, "once-web", 3)
	touch(t, "once")
	time.Sleep(3 * time.Second)
	if n := replicas(t, "once-web"); n != 3 {
		t.Errorf("apply-once app: drift reverted to %d", n)
	}
	// A rule: replicas may drift, on update as on state keep; the rest is kept.
	policy := `
  - name: once
    type: apply-once
    properties:
      enable: true
      rules: [{selector: {resourceTypes: [Deployment]}, strategy: {path: [spec.replicas]}}]`
	create(t, appYAML("once-rule", `
  - name: once-rule-web
    type: webservice
    properties: {image: nginx}
    traits: [{type: scaler, properties: {replicas: 1}}, {type: labels, properties: {tier: web}}]`, policy))
	runningAt(t, "once-rule", "once-rule-v1")
	// A reconcile in flight when scaling may still set the replicas it read
	// before; scale until the drift holds across a re-sync.
	for i := 0; i < 5; i++ {
		scale(t, "once-rule-web", 4)
		touch(t, "once-rule")
		time.Sleep(2 * time.Second)
		if replicas(t, "once-rule-web") == 4 {
			break
		}
	}
	if err := c.Patch(context.Background(), &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "once-rule-web"}},
		client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"labels":{"tier":"changed"}}}`)), client.FieldOwner("kubectl")); err != nil {
		t.Fatal(err)
	}
	replaceSpec(t, "once-rule", appYAML("once-rule", `
  - name: once-rule-web
    type: webservice
    properties: {image: nginx:1.27}
    traits: [{type: scaler, properties: {replicas: 1}}, {type: labels, properties: {tier: web}}]`, policy))
	runningAt(t, "once-rule", "once-rule-v2")
	var d appsv1.Deployment
	if err := c.Get(context.Background(), key("once-rule-web"), &d); err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 4 || d.Spec.Template.Spec.Containers[0].Image != "nginx:1.27" || d.Labels["tier"] != "web" {
		t.Errorf("after update: replicas %d (want the drifted 4), image %s, tier label %q", *d.Spec.Replicas, d.Spec.Template.Spec.Containers[0].Image, d.Labels["tier"])
	}
}

func TestIntegrationResourceUpdateRecreate(t *testing.T) {
	setup(t)
	policy := `
  - {name: upd, type: resource-update, properties: {rules: [{selector: {resourceTypes: [ConfigMap]}, strategy: {recreateFields: [data.k]}}]}}`
	create(t, appYAML("recreate", cmComponent("rc", "rc-cm", "1"), policy))
	runningAt(t, "recreate", "recreate-v1")
	before, _ := getCM("rc-cm")
	replaceSpec(t, "recreate", appYAML("recreate", cmComponent("rc", "rc-cm", "2"), policy))
	runningAt(t, "recreate", "recreate-v2")
	after, err := getCM("rc-cm")
	if err != nil || after.Data["k"] != "2" || after.UID == before.UID {
		t.Errorf("not recreated: %v data %v same uid %v", err, after.Data, after.UID == before.UID)
	}
}

// TestIntegrationConformanceGarbageCollectApp runs KubeVela's
// app_garbage_collect example through an update and a deletion: the legacy
// resources stay (keepLegacyResource), the exposed Service lives until the
// app is deleted (onAppDelete), drift stays (apply-once), deletion cleans up.
func TestIntegrationConformanceGarbageCollectApp(t *testing.T) {
	setup(t)
	mod, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(mod, "..", "shared", "conformance", "kubevela", "test", "e2e-test", "testdata", "app", "app_garbage_collect.yaml")
	if _, err := os.Stat(f); err != nil {
		t.Skipf("conformance example not present: %v", err)
	}
	o := decodeFile(t, f)[0]
	o.SetNamespace("default")
	if err := c.Create(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	runningAt(t, "garbage-collect-app", "garbage-collect-app-v1")
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "hello-world"}}
	mustExist(t, svc)
	scale(t, "hello-world", 2)
	updateApp(t, "garbage-collect-app", func(a *v1beta1.Application) {
		a.Spec.Components[0].Traits = nil
		a.Spec.Components[0].Properties = &runtime.RawExtension{Raw: []byte(`{"image":"crccheck/hello-world:v2"}`)}
	})
	runningAt(t, "garbage-collect-app", "garbage-collect-app-v2")
	touch(t, "garbage-collect-app")
	time.Sleep(2 * time.Second)
	mustExist(t, svc)
	var d appsv1.Deployment
	if err := c.Get(context.Background(), key("hello-world"), &d); err != nil {
		t.Fatal(err)
	}
	if d.Spec.Template.Spec.Containers[0].Image != "crccheck/hello-world:v2" {
		t.Errorf("the update was not applied: image %s", d.Spec.Template.Spec.Containers[0].Image)
	}
	deleteApp(t, "garbage-collect-app")
	waitGone(t, svc)
	waitGone(t, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "hello-world"}})
}

// A revision's tracker is created without reading it first; when one by that name is already
// there (left by an earlier Application of the same name whose finalizer never ran), the
// controller records into it instead of failing, and keeps what it holds.
func TestIntegrationLeftoverVersionedTracker(t *testing.T) {
	setup(t)
	leftover := &v1beta1.ResourceTracker{
		ObjectMeta: metav1.ObjectMeta{Name: "leftover-v1-default", Labels: map[string]string{"app.oam.dev/name": "leftover", "app.oam.dev/namespace": "default"}},
		Spec: v1beta1.ResourceTrackerSpec{Type: v1beta1.ResourceTrackerTypeVersioned, ManagedResources: []v1beta1.ManagedResource{{
			ClusterObjectReference: v1beta1.ClusterObjectReference{ObjectReference: corev1.ObjectReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: "default", Name: "leftover-old"}},
			OAMObjectReference:     v1beta1.OAMObjectReference{Component: "old"},
		}}},
	}
	if err := c.Create(context.Background(), leftover); err != nil {
		t.Fatal(err)
	}
	create(t, appYAML("leftover", cmComponent("leftover-cm", "leftover-cm", "1"), ""))
	runningAt(t, "leftover", "leftover-v1")
	mustExist(t, cmRef("leftover-cm"))
	rt := &v1beta1.ResourceTracker{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: "leftover-v1-default"}, rt); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mr := range rt.Spec.ManagedResources {
		names = append(names, mr.Name)
	}
	if got := strings.Join(names, ","); got != "leftover-old,leftover-cm" {
		t.Errorf("tracker leftover-v1-default records %s, want leftover-old,leftover-cm", got)
	}
}
