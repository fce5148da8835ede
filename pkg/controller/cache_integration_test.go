package controller_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/controller"
)

// laggingCache is a cache of Deployments that has not caught up: it holds
// the copies it was given, as they were then.
type laggingCache map[client.ObjectKey]*appsv1.Deployment

func (l laggingCache) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	d, ok := l[key]
	if !ok {
		return apierrors.NewNotFound(appsv1.Resource("deployments"), key.Name)
	}
	d.DeepCopyInto(obj.(*appsv1.Deployment))
	return nil
}

func (l laggingCache) List(context.Context, client.ObjectList, ...client.ListOption) error {
	return errors.New("laggingCache does not list")
}

// deploymentReads counts the Deployments it reads from the API server.
type deploymentReads struct {
	client.Client
	gets atomic.Int32
}

func (c *deploymentReads) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	if obj.GetObjectKind().GroupVersionKind().Kind == "Deployment" {
		c.gets.Add(1)
	}
	return c.Client.Get(ctx, key, obj, opts...)
}

// deploymentOf is a Deployment name of image without replicas (it settles
// at once), labelled as application owner's.
func deploymentOf(name, owner, image string) *appsv1.Deployment {
	sel := map[string]string{"app": name}
	var none int32
	return &appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name,
			Labels: map[string]string{"app.oam.dev/name": owner, "app.oam.dev/namespace": "default"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &none,
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: sel},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: image}}},
			},
		},
	}
}

// manifestOf is d as the controller applies it.
func manifestOf(t *testing.T, d *appsv1.Deployment) *unstructured.Unstructured {
	t.Helper()
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(d)
	if err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}

// liveDeployment reads name from the API server.
func liveDeployment(t *testing.T, cl client.Client, name string) *appsv1.Deployment {
	t.Helper()
	d := &appsv1.Deployment{}
	if err := cl.Get(context.Background(), key(name), d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestIntegrationCachedOwnership: an object the controller's cache shows as
// the Application's is applied without reading it first, and only while the
// live object is that cached version: a cache that lags behind never lets the
// Application overwrite an object another Application owns now, and a
// deleted object still comes back.
func TestIntegrationCachedOwnership(t *testing.T) {
	setup(t)
	ctx := context.Background()
	cl := direct(t)
	app := &v1beta1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "cache-a", UID: "cache-a-uid"}}
	t.Cleanup(func() {
		_ = cl.Delete(ctx, deploymentOf("cache-web", "", ""))
		_ = cl.DeleteAllOf(ctx, &v1beta1.ResourceTracker{}, client.MatchingLabels{"app.oam.dev/name": "cache-a"})
	})
	first := deploymentOf("cache-web", "cache-a", "nginx:1")
	if err := cl.Create(ctx, first); err != nil {
		t.Fatal(err)
	}
	image := func() string { return liveDeployment(t, cl, "cache-web").Spec.Template.Spec.Containers[0].Image }
	// The Deployment controller writes its status until it has rolled out
	// (no replicas: at once); the cache then holds the live version.
	var settled *appsv1.Deployment
	eventually(t, "Deployment rolled out", func() (bool, string) {
		settled = liveDeployment(t, cl, "cache-web")
		for _, cond := range settled.Status.Conditions {
			if cond.Type == appsv1.DeploymentProgressing && cond.Reason == "NewReplicaSetAvailable" && settled.Status.ObservedGeneration == settled.Generation {
				return true, ""
			}
		}
		return false, fmt.Sprint(settled.Status)
	})

	// The cache holds the live version: applied without a read.
	counting := &deploymentReads{Client: cl}
	upToDate := laggingCache{key("cache-web"): settled}
	if err := controller.DispatchForTest(ctx, counting, upToDate, app, "cache-a-v1", manifestOf(t, deploymentOf("cache-web", "cache-a", "nginx:2"))); err != nil {
		t.Fatal(err)
	}
	if n := counting.gets.Load(); n != 0 || image() != "nginx:2" {
		t.Errorf("up-to-date cache: %d reads of the Deployment (want 0), image %s (want nginx:2)", n, image())
	}

	// The cache still holds the version before that apply: the apply is
	// refused, the live object read, and the manifest applied.
	stale := laggingCache{key("cache-web"): first}
	if err := controller.DispatchForTest(ctx, counting, stale, app, "cache-a-v1", manifestOf(t, deploymentOf("cache-web", "cache-a", "nginx:3"))); err != nil {
		t.Fatal(err)
	}
	if n := counting.gets.Load(); n != 1 || image() != "nginx:3" {
		t.Errorf("stale cache: %d reads of the Deployment (want 1), image %s (want nginx:3)", n, image())
	}

	// Deleted and created again by application cache-b; the cache still shows
	// cache-a's copy. Neither a workflow step nor state keeping takes it.
	if err := cl.Delete(ctx, first); err != nil {
		t.Fatal(err)
	}
	waitGone(t, deploymentOf("cache-web", "", ""))
	if err := cl.Create(ctx, deploymentOf("cache-web", "cache-b", "theirs:1")); err != nil {
		t.Fatal(err)
	}
	err := controller.DispatchForTest(ctx, cl, stale, app, "cache-a-v1", manifestOf(t, deploymentOf("cache-web", "cache-a", "nginx:4")))
	if err == nil || !strings.Contains(err.Error(), "conflict: Deployment default/cache-web is managed by application default/cache-b") {
		t.Errorf("a workflow step over another application's Deployment: %v", err)
	}
	if err := controller.KeepForTest(ctx, cl, stale, app, manifestOf(t, deploymentOf("cache-web", "cache-a", "nginx:4"))); err != nil {
		t.Errorf("state keeping over another application's Deployment: %v", err)
	}
	theirs := liveDeployment(t, cl, "cache-web")
	if owner := theirs.Labels["app.oam.dev/name"]; owner != "cache-b" || image() != "theirs:1" {
		t.Errorf("another application's Deployment was overwritten: owner %s, image %s", owner, image())
	}

	// Deleted by hand; the cache still shows cache-a's copy: state keeping
	// creates it again.
	if err := cl.Delete(ctx, theirs); err != nil {
		t.Fatal(err)
	}
	waitGone(t, deploymentOf("cache-web", "", ""))
	if err := controller.KeepForTest(ctx, cl, stale, app, manifestOf(t, deploymentOf("cache-web", "cache-a", "nginx:5"))); err != nil {
		t.Fatal(err)
	}
	if back := liveDeployment(t, cl, "cache-web"); back.Labels["app.oam.dev/name"] != "cache-a" || image() != "nginx:5" {
		t.Errorf("the deleted Deployment came back as %v, image %s", back.Labels, image())
	}
}

// TestIntegrationDeploymentOwnershipConflict: a Deployment (a kind the
// controller's cache holds) another Application owns is not overwritten by a
// second Application, and the owner keeps applying it.
func TestIntegrationDeploymentOwnershipConflict(t *testing.T) {
	setup(t)
	web := func(image string) string {
		return fmt.Sprintf(`
  - name: dconf-web
    type: webservice
    properties: {image: %q}`, image)
	}
	create(t, appYAML("dconf-1", web("nginx:1"), ""))
	runningAt(t, "dconf-1", "dconf-1-v1")
	create(t, appYAML("dconf-2", web("nginx:2"), ""))
	failedWith(t, "dconf-2", "conflict: Deployment default/dconf-web is managed by application default/dconf-1")
	replaceSpec(t, "dconf-1", appYAML("dconf-1", web("nginx:3"), ""))
	runningAt(t, "dconf-1", "dconf-1-v2")
	d := liveDeployment(t, direct(t), "dconf-web")
	if owner, image := d.Labels["app.oam.dev/name"], d.Spec.Template.Spec.Containers[0].Image; owner != "dconf-1" || image != "nginx:3" {
		t.Errorf("the owner's Deployment: owner %s, image %s (want dconf-1, nginx:3)", owner, image)
	}
	for _, n := range []string{"dconf-2", "dconf-1"} {
		deleteApp(t, n)
	}
	waitGone(t, deploymentOf("dconf-web", "", ""))
}
