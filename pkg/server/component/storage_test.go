package component_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"velad.io/velad/pkg/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

// kineConnections counts the connections kine accepted on its unix socket that are open now
// (/proc/net/unix lists an accepted socket under the listener's path).
func kineConnections(t *testing.T) int {
	t.Helper()
	socket := filepath.Join(env.Cluster.RunDir(), "kine.sock")
	f, err := os.Open("/proc/net/unix")
	if err != nil {
		t.Skipf("no /proc/net/unix: %v", err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		// Num RefCount Protocol Flags Type St Inode Path; St 03 = connected.
		if len(fields) == 8 && fields[7] == socket && fields[5] == "03" {
			n++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}

// The API server reaches kine over a handful of connections — one shared by the storage of
// every resource, plus the few that kube-apiserver builds outside its REST storage (health
// probes, IP and port allocators, endpoint leases) — instead of one per resource, and a new
// custom resource adds none.
func TestAPIServerSharesOneETCDConnection(t *testing.T) {
	before := kineConnections(t)
	t.Logf("kine connections: %d", before)
	if before == 0 || before > 10 {
		t.Fatalf("kine has %d connections from the API server, want 1–10 (one etcd client per resource is ~70)", before)
	}
	gvr := createCRD(t, "widgets", "Widget")
	dyn := dynamic.NewForConfigOrDie(env.Config).Resource(gvr).Namespace("default")
	if _, err := dyn.Create(context.Background(), object("Widget", "w0"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if after := kineConnections(t); after > before {
		t.Fatalf("a custom resource added kine connections: %d → %d", before, after)
	}
}

// Custom resources list in pages, watch from a list's resourceVersion and honour
// resourceVersionMatch, all through the shared client.
func TestCustomResourceListAndWatch(t *testing.T) {
	ctx := context.Background()
	gvr := createCRD(t, "gadgets", "Gadget")
	dyn := dynamic.NewForConfigOrDie(env.Config).Resource(gvr).Namespace("default")
	for i := range 5 {
		if _, err := dyn.Create(ctx, object("Gadget", fmt.Sprintf("g%d", i)), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	var rv string
	opts := metav1.ListOptions{Limit: 2}
	for {
		l, err := dyn.List(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range l.Items {
			names = append(names, it.GetName())
		}
		rv = l.GetResourceVersion()
		if l.GetContinue() == "" {
			break
		}
		opts.Continue = l.GetContinue()
	}
	if len(names) != 5 {
		t.Fatalf("paged list returned %v, want 5 objects", names)
	}
	exact, err := dyn.List(ctx, metav1.ListOptions{ResourceVersion: rv, ResourceVersionMatch: metav1.ResourceVersionMatchExact})
	if err != nil || len(exact.Items) != 5 {
		t.Fatalf("list at exact resourceVersion %s: %v, %d items", rv, err, len(exact.Items))
	}

	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	w, err := dyn.Watch(wctx, metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if _, err := dyn.Create(ctx, object("Gadget", "g5"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if name := nextAdded(t, w); name != "g5" {
		t.Fatalf("watch from resourceVersion %s replayed %s", rv, name)
	}

	// A watch list (sendInitialEvents) streams the six objects, then the bookmark that ends
	// the initial events.
	sendInitial := true
	wl, err := dyn.Watch(wctx, metav1.ListOptions{SendInitialEvents: &sendInitial, AllowWatchBookmarks: true,
		ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan})
	if err != nil {
		t.Fatal(err)
	}
	defer wl.Stop()
	added := 0
	for ev := range wl.ResultChan() {
		switch ev.Type {
		case watch.Added:
			added++
		case watch.Bookmark:
			if u, ok := ev.Object.(*unstructured.Unstructured); ok && u.GetAnnotations()[metav1.InitialEventsAnnotationKey] == "true" {
				if added != 6 {
					t.Fatalf("watch list sent %d objects before its end bookmark, want 6", added)
				}
				return
			}
		case watch.Error:
			t.Fatalf("watch list error: %v", ev.Object)
		}
	}
	t.Fatal("watch list ended before its end bookmark")
}

// A CRD's storage is destroyed when the CRD is deleted; the client it shared stays open for
// every other resource, and the CRD created again gets storage on it again.
func TestDeletedCustomResourceKeepsSharedClient(t *testing.T) {
	ctx := context.Background()
	gvr := createCRD(t, "sprockets", "Sprocket")
	dyn := dynamic.NewForConfigOrDie(env.Config).Resource(gvr).Namespace("default")
	if _, err := dyn.Create(ctx, object("Sprocket", "s0"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	crds := apiextensionsclient.NewForConfigOrDie(env.Config).ApiextensionsV1().CustomResourceDefinitions()
	if err := crds.Delete(ctx, "sprockets.test.velad.io", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := crds.Get(ctx, "sprockets.test.velad.io", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		t.Fatalf("CRD sprockets not deleted: %v", err)
	}
	// Built-in resources still read and write through the shared client.
	cm := kubernetes.NewForConfigOrDie(env.Config).CoreV1().ConfigMaps("default")
	if _, err := cm.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "after-crd-delete"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a ConfigMap after a CRD was deleted: %v", err)
	}
	if _, err := cm.Get(ctx, "after-crd-delete", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	createCRD(t, "sprockets", "Sprocket")
	if _, err := dyn.Create(ctx, object("Sprocket", "s1"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a custom resource of a re-created CRD: %v", err)
	}
	l, err := dyn.List(ctx, metav1.ListOptions{})
	if err != nil || len(l.Items) != 1 || l.Items[0].GetName() != "s1" {
		t.Fatalf("list of the re-created CRD: %v %v, want only s1", err, l)
	}
}

// nextAdded returns the name of the next object the watch adds.
func nextAdded(t *testing.T, w watch.Interface) string {
	t.Helper()
	for ev := range w.ResultChan() {
		if ev.Type == watch.Error {
			t.Fatalf("watch error: %v", ev.Object)
		}
		if u, ok := ev.Object.(*unstructured.Unstructured); ok && ev.Type == watch.Added {
			return u.GetName()
		}
	}
	t.Fatal("watch ended before an object was added")
	return ""
}

func object(kind, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("test.velad.io/v1")
	u.SetKind(kind)
	u.SetName(name)
	return u
}

// createCRD creates a namespaced CRD and waits until it is served.
func createCRD(t *testing.T, plural, kind string) schema.GroupVersionResource {
	t.Helper()
	ctx := context.Background()
	cs := apiextensionsclient.NewForConfigOrDie(env.Config)
	preserve := true
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + ".test.velad.io"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "test.velad.io",
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: plural, Kind: kind, ListKind: kind + "List"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: &preserve,
				}},
			}},
		},
	}
	if _, err := cs.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	gvr := schema.GroupVersionResource{Group: "test.velad.io", Version: "v1", Resource: plural}
	dyn := dynamic.NewForConfigOrDie(env.Config).Resource(gvr).Namespace("default")
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := dyn.List(ctx, metav1.ListOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("CRD %s not served: %v", plural, err)
	}
	return gvr
}
