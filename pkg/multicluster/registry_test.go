package multicluster

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
)

// fakeProbe fails for the endpoints in down.
type fakeProbe struct {
	mu    sync.Mutex
	down  map[string]error
	calls int
}

func (p *fakeProbe) probe(_ context.Context, cfg *rest.Config) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	return p.down[cfg.Host]
}

func (p *fakeProbe) set(host string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down == nil {
		p.down = map[string]error{}
	}
	p.down[host] = err
}

func testScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	sc := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(sc); err != nil {
		t.Fatal(err)
	}
	if err := v1beta1.AddToScheme(sc); err != nil {
		t.Fatal(err)
	}
	return sc
}

func newFakeRegistry(t *testing.T, objs ...client.Object) (*Registry, client.Client, *fakeProbe) {
	t.Helper()
	hub := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(objs...).Build()
	p := &fakeProbe{}
	return NewRegistry(hub, &rest.Config{Host: "https://hub:6443"}, WithProbe(p.probe)), hub, p
}

var x509Cred = &Credential{Endpoint: "https://m1:6443", CA: []byte("CA"), Type: CredentialX509, Cert: []byte("C"), Key: []byte("K")}

func TestJoinStoresKubeVelaSecret(t *testing.T) {
	reg, hub, _ := newFakeRegistry(t)
	ctx := context.Background()
	if _, err := reg.Join(ctx, x509Cred, JoinOptions{Name: "m1", Alias: "One", Labels: map[string]string{"region": "eu"}}); err != nil {
		t.Fatal(err)
	}
	var s corev1.Secret
	if err := hub.Get(ctx, client.ObjectKey{Namespace: "vela-system", Name: "m1"}, &s); err != nil {
		t.Fatal(err)
	}
	if s.Labels["cluster.core.oam.dev/cluster-credential-type"] != "X509Certificate" || s.Labels["region"] != "eu" || len(s.Labels) != 2 {
		t.Fatalf("labels = %v", s.Labels)
	}
	if s.Annotations["cluster.core.oam.dev/cluster-alias"] != "One" || s.Type != corev1.SecretTypeOpaque {
		t.Fatalf("annotations = %v, type %s", s.Annotations, s.Type)
	}
	if len(s.Data) != 4 || string(s.Data["endpoint"]) != "https://m1:6443" || string(s.Data["ca.crt"]) != "CA" || string(s.Data["tls.crt"]) != "C" || string(s.Data["tls.key"]) != "K" {
		t.Fatalf("data = %v", s.Data)
	}
	_, err := reg.Join(ctx, x509Cred, JoinOptions{Name: "m1"})
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), "vela cluster rename m1 <new-name>") {
		t.Fatalf("second join: err = %v", err)
	}
	if _, err := reg.Join(ctx, x509Cred, JoinOptions{Name: "local"}); !errors.Is(err, ErrLocal) {
		t.Fatalf("join as local: err = %v", err)
	}
}

func TestJoinRefusesUnreachableCluster(t *testing.T) {
	reg, hub, p := newFakeRegistry(t)
	p.set("https://m1:6443", errors.New("connection refused"))
	_, err := reg.Join(context.Background(), x509Cred, JoinOptions{Name: "m1"})
	want := `cluster "m1" unreachable at https://m1:6443: connection refused`
	if !errors.Is(err, ErrUnreachable) || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	var list corev1.SecretList
	if err := hub.List(context.Background(), &list); err != nil || len(list.Items) != 0 {
		t.Fatalf("stored %d secrets (%v), want none", len(list.Items), err)
	}
}

func TestListLabelsRenameDetach(t *testing.T) {
	hand := kubeVelaSecret("hand", CredentialToken, map[string]string{KeyEndpoint: "https://hand:6443", KeyToken: "t"})
	reg, _, p := newFakeRegistry(t, hand)
	ctx := context.Background()
	if _, err := reg.Join(ctx, x509Cred, JoinOptions{Name: "m1"}); err != nil {
		t.Fatal(err)
	}
	p.set("https://hand:6443", errors.New("dial tcp: connection refused"))
	list, err := reg.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range list {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != "local,hand,m1" || list[0].Type != CredentialInternal {
		t.Fatalf("clusters = %v", list)
	}
	if h := list[1].Health; h == nil || h.Healthy || !strings.Contains(h.Message, "connection refused") || !list[2].Health.Healthy {
		t.Fatalf("health: hand %+v, m1 %+v", list[1].Health, list[2].Health)
	}

	if c, err := reg.AddLabels(ctx, "m1", map[string]string{"tier": "prod", "region": "us"}); err != nil || len(c.Labels) != 2 {
		t.Fatalf("AddLabels = %+v, %v", c, err)
	}
	if c, err := reg.DelLabels(ctx, "m1", []string{"tier"}); err != nil || len(c.Labels) != 1 || c.Labels["region"] != "us" {
		t.Fatalf("DelLabels = %+v, %v", c, err)
	}
	if _, err := reg.DelLabels(ctx, "m1", []string{"tier"}); err == nil || !strings.Contains(err.Error(), `cluster "m1" has no label tier`) {
		t.Fatalf("DelLabels of a missing key: err = %v", err)
	}
	if _, err := reg.AddLabels(ctx, "local", map[string]string{"a": "b"}); !errors.Is(err, ErrLocal) {
		t.Fatalf("label local: err = %v", err)
	}

	if _, err := reg.Rename(ctx, "m1", "hand"); !errors.Is(err, ErrExists) {
		t.Fatalf("rename onto an existing name: err = %v", err)
	}
	if c, err := reg.Rename(ctx, "m1", "m2"); err != nil || c.Labels["region"] != "us" {
		t.Fatalf("Rename = %+v, %v", c, err)
	}
	if _, err := reg.Get(ctx, "m1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old name after rename: err = %v", err)
	}
	testDetach(t, reg)
}

func testDetach(t *testing.T, reg *Registry) {
	ctx := context.Background()
	rt := &v1beta1.ResourceTracker{
		ObjectMeta: metav1.ObjectMeta{Name: "app1-default", Labels: map[string]string{oam.LabelAppName: "app1", oam.LabelAppNamespace: "default"}},
		Spec: v1beta1.ResourceTrackerSpec{Type: v1beta1.ResourceTrackerTypeRoot, ManagedResources: []v1beta1.ManagedResource{
			{ClusterObjectReference: v1beta1.ClusterObjectReference{Cluster: "m2"}},
		}},
	}
	if err := reg.hub.Create(ctx, rt); err != nil {
		t.Fatal(err)
	}
	err := reg.Detach(ctx, "m2", false)
	var inUse *InUseError
	if !errors.As(err, &inUse) || !strings.Contains(err.Error(), "default/app1") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("detach in use: err = %v", err)
	}
	if err := reg.Detach(ctx, "hand", false); err != nil {
		t.Fatalf("detach unused: %v", err)
	}
	if err := reg.Detach(ctx, "m2", true); err != nil {
		t.Fatalf("detach --force: %v", err)
	}
	if err := reg.Detach(ctx, "m2", true); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "vela cluster list") {
		t.Fatalf("detach twice: err = %v", err)
	}
}

func TestExportConfigRefusesLocal(t *testing.T) {
	reg, _, _ := newFakeRegistry(t)
	if _, err := reg.ExportConfig(context.Background(), "local"); !errors.Is(err, ErrLocal) || !strings.Contains(err.Error(), "velad kubeconfig") {
		t.Fatalf("err = %v", err)
	}
}

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }
