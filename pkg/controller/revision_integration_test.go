package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
	"velad.io/velad/pkg/application"
)

// revisions lists app's ApplicationRevisions by name.
func revisions(t *testing.T, app string) map[string]v1beta1.ApplicationRevision {
	t.Helper()
	var l v1beta1.ApplicationRevisionList
	if err := c.List(context.Background(), &l, client.InNamespace("default"), client.MatchingLabels{oam.LabelAppName: app}); err != nil {
		t.Fatal(err)
	}
	out := map[string]v1beta1.ApplicationRevision{}
	for _, r := range l.Items {
		out[r.Name] = r
	}
	return out
}

func image(t *testing.T, name string) string {
	t.Helper()
	var d appsv1.Deployment
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "default", Name: name}, &d); err != nil {
		t.Fatal(err)
	}
	return d.Spec.Template.Spec.Containers[0].Image
}

func setImage(img string) func(*v1beta1.Application) {
	return func(a *v1beta1.Application) {
		a.Spec.Components[0].Properties = &runtime.RawExtension{Raw: []byte(`{"image":"` + img + `"}`)}
	}
}

func setPublish(v string) func(*v1beta1.Application) {
	return func(a *v1beta1.Application) { a.Annotations[oam.AnnotationPublishVersion] = v }
}

// TestIntegrationPublishVersionAndRollback: with app.oam.dev/publishVersion a spec edit
// waits for a new publishVersion; a succeeded revision records its workflow; rollback
// returns to the last successful revision and re-applies its resources.
func TestIntegrationPublishVersionAndRollback(t *testing.T) {
	setup(t)
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: pub, annotations: {app.oam.dev/publishVersion: alpha1}}
spec:
  components: [{name: pub-web, type: webservice, properties: {image: "nginx:1"}}]
`)
	app := runningAt(t, "pub", "pub-v1")
	if app.Status.Workflow.AppRevision != "alpha1" {
		t.Errorf("status.workflow.appRevision %q, want the publishVersion alpha1", app.Status.Workflow.AppRevision)
	}
	v1 := revisions(t, "pub")["pub-v1"]
	if !v1.Status.Succeeded || v1.Status.Workflow == nil || !v1.Status.Workflow.Finished || v1.Annotations[oam.AnnotationPublishVersion] != "alpha1" {
		t.Fatalf("pub-v1 after success: succeeded %v, workflow %+v, annotations %v", v1.Status.Succeeded, v1.Status.Workflow, v1.Annotations)
	}

	// A spec edit under the same publishVersion is not delivered.
	updateApp(t, "pub", setImage("nginx:2"))
	runningAt(t, "pub", "pub-v1")
	time.Sleep(time.Second)
	if img := image(t, "pub-web"); img != "nginx:1" || len(revisions(t, "pub")) != 1 {
		t.Fatalf("same publishVersion: image %s, %d revisions; want nginx:1 and 1", img, len(revisions(t, "pub")))
	}

	// A new publishVersion delivers it as a new revision.
	updateApp(t, "pub", setPublish("alpha2"))
	app = runningAt(t, "pub", "pub-v2")
	if img := image(t, "pub-web"); img != "nginx:2" || app.Status.Workflow.AppRevision != "alpha2" {
		t.Fatalf("alpha2: image %s, workflow appRevision %s", img, app.Status.Workflow.AppRevision)
	}

	// Rollback returns to pub-v1 (spec, publishVersion, resources) and drops pub-v2.
	target, err := application.Rollback(context.Background(), c, app)
	if err != nil || target.Name != "pub-v1" {
		t.Fatalf("rollback: %v, target %v", err, target)
	}
	app = waitFor(t, "pub", 90*time.Second, "rolled back", func(a *v1beta1.Application) bool {
		return a.Status.Phase == v1beta1.ApplicationRunning && a.Status.LatestRevision != nil && a.Status.LatestRevision.Name == "pub-v1" &&
			a.Annotations[oam.AnnotationRollbackTo] == "" && a.Status.ObservedGeneration == a.Generation
	})
	revs := revisions(t, "pub")
	if img := image(t, "pub-web"); img != "nginx:1" || len(revs) != 1 || app.Annotations[oam.AnnotationPublishVersion] != "alpha1" {
		names := make([]string, 0, len(revs))
		for n, r := range revs {
			names = append(names, fmt.Sprintf("%s (created %s)", n, r.CreationTimestamp.Format(time.RFC3339Nano)))
		}
		t.Fatalf("after rollback: image %s, revisions %v, annotations %v", img, names, app.Annotations)
	}

	// vela up pub --revision pub-v1 --publish-version beta1: a new revision, the same snapshot.
	v1 = revs["pub-v1"]
	if err := application.PublishRevision(context.Background(), c, app, &v1, "beta1"); err != nil {
		t.Fatal(err)
	}
	app = runningAt(t, "pub", "pub-v2")
	v2 := revisions(t, "pub")["pub-v2"]
	if app.Status.Workflow.AppRevision != "beta1" || v2.Annotations[oam.AnnotationPublishVersion] != "beta1" ||
		v2.Labels[oam.LabelAppRevisionHash] != v1.Labels[oam.LabelAppRevisionHash] || !v2.Status.Succeeded {
		t.Fatalf("republished: workflow %s, pub-v2 annotations %v labels %v (pub-v1 %v), succeeded %v",
			app.Status.Workflow.AppRevision, v2.Annotations, v2.Labels, v1.Labels, v2.Status.Succeeded)
	}
}

// TestIntegrationRevisionLimit: at most 10 revisions are kept, never the current or the
// last successful one.
func TestIntegrationRevisionLimit(t *testing.T) {
	setup(t)
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: many-revs}
spec:
  components: [{name: many-revs, type: webservice, properties: {image: "nginx:0"}}]
`)
	runningAt(t, "many-revs", "many-revs-v1")
	for i := 1; i <= 12; i++ {
		updateApp(t, "many-revs", setImage(fmt.Sprintf("nginx:%d", i)))
		runningAt(t, "many-revs", fmt.Sprintf("many-revs-v%d", i+1))
	}
	revs := revisions(t, "many-revs")
	if len(revs) != 10 {
		t.Errorf("%d revisions kept, want 10", len(revs))
	}
	if _, ok := revs["many-revs-v13"]; !ok {
		t.Error("the current revision was deleted")
	}
	for _, old := range []string{"many-revs-v1", "many-revs-v2", "many-revs-v3"} {
		if _, ok := revs[old]; ok {
			t.Errorf("%s was kept; the oldest unused revisions go first", old)
		}
	}
}

// TestIntegrationAutoUpdate: a changed definition makes a new revision only for an
// Application with app.oam.dev/autoUpdate.
func TestIntegrationAutoUpdate(t *testing.T) {
	setup(t)
	ctx := context.Background()
	def := func(value string) *v1beta1.ComponentDefinition {
		d := &v1beta1.ComponentDefinition{}
		d.Name, d.Namespace = "au-config", "default"
		d.Spec.Workload.Definition.APIVersion, d.Spec.Workload.Definition.Kind = "v1", "ConfigMap"
		d.Spec.Schematic = &v1beta1.Schematic{CUE: &v1beta1.CUE{Template: `output: {apiVersion: "v1", kind: "ConfigMap", data: {v: "` + value + `"}}
parameter: {}
`}}
		return d
	}
	if err := c.Create(ctx, def("one")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"au-on", "au-off"} {
		ann := ""
		if name == "au-on" {
			ann = `, annotations: {app.oam.dev/autoUpdate: "true"}`
		}
		create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: `+name+ann+`}
spec:
  components: [{name: `+name+`, type: au-config}]
`)
		runningAt(t, name, name+"-v1")
	}
	cur := &v1beta1.ComponentDefinition{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "au-config"}, cur); err != nil {
		t.Fatal(err)
	}
	cur.Spec.Schematic = def("two").Spec.Schematic
	if err := c.Update(ctx, cur); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"au-on", "au-off"} {
		updateApp(t, name, func(a *v1beta1.Application) { a.Labels = map[string]string{"touched": "yes"} })
	}
	runningAt(t, "au-on", "au-on-v2")
	var cm corev1.ConfigMap
	if err := c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "au-on"}, &cm); err != nil || cm.Data["v"] != "two" {
		t.Errorf("au-on: configmap %v (%v), want v=two", cm.Data, err)
	}
	app := runningAt(t, "au-off", "au-off-v1")
	if app.Status.Workflow == nil || !strings.HasPrefix(app.Status.Workflow.AppRevision, "au-off-v1") {
		t.Errorf("au-off: workflow %+v", app.Status.Workflow)
	}
}

// denyRevisionDelete makes the API server refuse to delete the ApplicationRevision
// name (a ValidatingAdmissionPolicy), until the returned func removes the policy.
func denyRevisionDelete(t *testing.T, name string) func() {
	t.Helper()
	ctx := context.Background()
	fail := admissionv1.Fail
	policy := &admissionv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "keep-" + name},
		Spec: admissionv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: &fail,
			MatchConstraints: &admissionv1.MatchResources{ResourceRules: []admissionv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionv1.RuleWithOperations{
					Operations: []admissionv1.OperationType{admissionv1.Delete},
					Rule:       admissionv1.Rule{APIGroups: []string{"core.oam.dev"}, APIVersions: []string{"*"}, Resources: []string{"applicationrevisions"}},
				},
			}}},
			Validations: []admissionv1.Validation{{Expression: `oldObject.metadata.name != "` + name + `"`, Message: "revision " + name + " is protected"}},
		},
	}
	binding := &admissionv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "keep-" + name},
		Spec:       admissionv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: policy.Name, ValidationActions: []admissionv1.ValidationAction{admissionv1.Deny}},
	}
	for _, o := range []client.Object{policy, binding} {
		if err := c.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	// The policy takes effect once the API server loaded it: probe with a dry run.
	rev := &v1beta1.ApplicationRevision{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
	eventually(t, "the policy protecting "+name+" in effect", func() (bool, string) {
		err := c.Delete(ctx, rev, client.DryRunAll)
		return err != nil && strings.Contains(err.Error(), "is protected"), fmt.Sprint(err)
	})
	return func() {
		for _, o := range []client.Object{binding, policy} {
			if err := c.Delete(ctx, o); err != nil {
				t.Error(err)
			}
		}
	}
}

// TestIntegrationRollbackThatCannotDropRevisionsShows: a rollback whose deletion of a
// newer revision keeps failing says so in a condition naming the revision and the error,
// and finishes once the deletion succeeds.
func TestIntegrationRollbackThatCannotDropRevisionsShows(t *testing.T) {
	setup(t)
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: rbfail}
spec:
  components: [{name: rbfail-web, type: webservice, properties: {image: "nginx:1"}}]
`)
	runningAt(t, "rbfail", "rbfail-v1")
	updateApp(t, "rbfail", setImage("nginx:2"))
	app := runningAt(t, "rbfail", "rbfail-v2")
	allow := denyRevisionDelete(t, "rbfail-v2")
	allowed := false
	defer func() {
		if !allowed {
			allow()
		}
	}()

	if target, err := application.Rollback(context.Background(), c, app); err != nil || target.Name != "rbfail-v1" {
		t.Fatalf("rollback: %v, target %v", err, target)
	}
	app = waitFor(t, "rbfail", 60*time.Second, "showing the failed rollback", func(a *v1beta1.Application) bool {
		cond := a.Status.GetCondition(v1beta1.ConditionRevision)
		return cond.Status == corev1.ConditionFalse && strings.Contains(cond.Message, "rbfail-v2") && strings.Contains(cond.Message, "is protected")
	})
	if app.Annotations[oam.AnnotationRollbackTo] != "rbfail-v1" {
		t.Errorf("rollback annotation %q while the rollback is unfinished", app.Annotations[oam.AnnotationRollbackTo])
	}

	allow()
	allowed = true
	app = waitFor(t, "rbfail", 90*time.Second, "rolled back", func(a *v1beta1.Application) bool {
		return a.Status.Phase == v1beta1.ApplicationRunning && a.Status.LatestRevision != nil && a.Status.LatestRevision.Name == "rbfail-v1" &&
			a.Annotations[oam.AnnotationRollbackTo] == "" && a.Status.GetCondition(v1beta1.ConditionRevision).Status == corev1.ConditionTrue
	})
	if revs := revisions(t, "rbfail"); len(revs) != 1 || image(t, "rbfail-web") != "nginx:1" {
		t.Errorf("after the rollback: %d revisions, image %s", len(revs), image(t, "rbfail-web"))
	}
}
