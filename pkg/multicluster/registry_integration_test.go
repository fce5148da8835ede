package multicluster_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
	"velad.io/velad/pkg/controller/bootstrap"
	"velad.io/velad/pkg/multicluster"
	"velad.io/velad/pkg/testenv"
)

func hubClient(t *testing.T) client.Client {
	t.Helper()
	sc := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(sc)
	_ = v1beta1.AddToScheme(sc)
	c, err := client.New(env.Config, client.Options{Scheme: sc})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func memberClient(t *testing.T, cfg *rest.Config) client.Client {
	t.Helper()
	c, err := client.New(cfg, client.Options{Scheme: clientgoscheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestIntegrationClusterRegistry joins a real member cluster to the testenv hub and goes
// through the registry's life cycle, ending with the member stopped.
func TestIntegrationClusterRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if err := bootstrap.Install(ctx, env.Config); err != nil {
		t.Fatal(err)
	}
	m := startMember(t)
	memberCfg, err := clientcmd.BuildConfigFromFlags("", m.Cluster.AdminKubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	reg, err := multicluster.Connect(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	f := &registryFixture{ctx: ctx, reg: reg, hub: hubClient(t), m: m, memberCfg: memberCfg}

	t.Run("join stores KubeVela's secret", f.testJoin)
	t.Run("list and probe show it healthy", f.testListProbe)
	t.Run("labels add and del", f.testLabels)
	t.Run("client cache reaches the member", f.testClientCache)
	t.Run("export-config reaches the member", f.testExportConfig)
	t.Run("hand-written ServiceAccountToken secret is listed and usable", f.testHandWritten)
	t.Run("rename and detach", f.testRenameDetach)
	t.Run("stopped member is unhealthy with a clear message", f.testStoppedMember)
}

// registryFixture is the hub, registry and member shared by the steps of
// TestIntegrationClusterRegistry, which run in order.
type registryFixture struct {
	ctx       context.Context
	reg       *multicluster.Registry
	hub       client.Client
	m         *testenv.Child
	memberCfg *rest.Config
}

func (f *registryFixture) testJoin(t *testing.T) {
	c, err := f.reg.JoinKubeconfig(f.ctx, f.m.Cluster.AdminKubeconfig(), multicluster.JoinOptions{Name: "m1", Alias: "Member One", Labels: map[string]string{"region": "eu"}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Endpoint != f.memberCfg.Host || c.Type != multicluster.CredentialX509 {
		t.Fatalf("joined %+v", c)
	}
	var s corev1.Secret
	if err := f.hub.Get(f.ctx, client.ObjectKey{Namespace: "vela-system", Name: "m1"}, &s); err != nil {
		t.Fatal(err)
	}
	wantLabels := map[string]string{"cluster.core.oam.dev/cluster-credential-type": "X509Certificate", "region": "eu"}
	if !equalMaps(s.Labels, wantLabels) || s.Annotations["cluster.core.oam.dev/cluster-alias"] != "Member One" {
		t.Fatalf("labels %v annotations %v", s.Labels, s.Annotations)
	}
	if keys := dataKeys(s.Data); keys != "ca.crt,endpoint,tls.crt,tls.key" || string(s.Data["endpoint"]) != f.memberCfg.Host {
		t.Fatalf("data keys %s, endpoint %s", keys, s.Data["endpoint"])
	}
	_, err = f.reg.JoinKubeconfig(f.ctx, f.m.Cluster.AdminKubeconfig(), multicluster.JoinOptions{Name: "m1"})
	if !errors.Is(err, multicluster.ErrExists) || !strings.Contains(err.Error(), "vela cluster rename m1") {
		t.Fatalf("second join: %v", err)
	}
}

func (f *registryFixture) testListProbe(t *testing.T) {
	list, err := f.reg.List(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "local" || !list[0].Health.Healthy || list[1].Name != "m1" || !list[1].Health.Healthy || list[1].Alias != "Member One" || list[1].Labels["region"] != "eu" {
		t.Fatalf("list = %+v", list)
	}
	if _, err := f.reg.Probe(f.ctx, "m1"); err != nil {
		t.Fatal(err)
	}
}

func (f *registryFixture) testLabels(t *testing.T) {
	if _, err := f.reg.AddLabels(f.ctx, "m1", map[string]string{"tier": "prod"}); err != nil {
		t.Fatal(err)
	}
	c, err := f.reg.DelLabels(f.ctx, "m1", []string{"region"})
	if err != nil || !equalMaps(c.Labels, map[string]string{"tier": "prod"}) {
		t.Fatalf("labels %v, %v", c, err)
	}
}

func (f *registryFixture) testClientCache(t *testing.T) {
	cache := multicluster.NewClientCache(f.hub, env.Config)
	mc, err := cache.Client(f.ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "from-hub", Namespace: "default"}}
	if err := mc.Create(f.ctx, cm); err != nil {
		t.Fatal(err)
	}
	if err := memberClient(t, f.memberCfg).Get(f.ctx, client.ObjectKeyFromObject(cm), &corev1.ConfigMap{}); err != nil {
		t.Fatalf("configmap created through the cache is not on the member: %v", err)
	}
	if err := f.hub.Get(f.ctx, client.ObjectKeyFromObject(cm), &corev1.ConfigMap{}); err == nil {
		t.Fatal("configmap landed on the hub")
	}
}

func (f *registryFixture) testExportConfig(t *testing.T) {
	data, err := f.reg.ExportConfig(f.ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "m1.kubeconfig")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := memberClient(t, cfg).Get(f.ctx, client.ObjectKey{Namespace: "default", Name: "from-hub"}, &corev1.ConfigMap{}); err != nil {
		t.Fatalf("exported kubeconfig: %v", err)
	}
}

func (f *registryFixture) testHandWritten(t *testing.T) {
	handWrittenSecret(f.ctx, t, f.hub, f.memberCfg)
	list, err := f.reg.List(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := find(list, "hand")
	if c == nil || c.Type != multicluster.CredentialToken || !c.Health.Healthy || c.Labels["env"] != "staging" || c.Alias != "Handmade" {
		t.Fatalf("hand = %+v (health %+v)", c, c.Health)
	}
	mc, err := multicluster.NewClientCache(f.hub, env.Config).Client(f.ctx, "hand")
	if err != nil {
		t.Fatal(err)
	}
	if err := mc.Get(f.ctx, client.ObjectKey{Namespace: "default", Name: "from-hub"}, &corev1.ConfigMap{}); err != nil {
		t.Fatalf("token client: %v", err)
	}
}

func (f *registryFixture) testRenameDetach(t *testing.T) {
	if _, err := f.reg.Rename(f.ctx, "m1", "m2"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reg.Get(f.ctx, "m1"); !errors.Is(err, multicluster.ErrNotFound) {
		t.Fatalf("m1 after rename: %v", err)
	}
	if _, err := f.reg.Probe(f.ctx, "m2"); err != nil {
		t.Fatalf("m2 after rename: %v", err)
	}
	rt := &v1beta1.ResourceTracker{
		ObjectMeta: metav1.ObjectMeta{Name: "web-default", Labels: map[string]string{oam.LabelAppName: "web", oam.LabelAppNamespace: "default"}},
		Spec: v1beta1.ResourceTrackerSpec{Type: v1beta1.ResourceTrackerTypeRoot, ManagedResources: []v1beta1.ManagedResource{
			{ClusterObjectReference: v1beta1.ClusterObjectReference{Cluster: "m2", ObjectReference: corev1.ObjectReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: "default", Name: "from-hub"}}},
		},
			// Stored compressed, as with KubeVela's ZstdResourceTracker gate: Detach still sees it.
			Compression: v1beta1.CompressedText{Type: v1beta1.CompressionZstd}},
	}
	if err := f.hub.Create(f.ctx, rt); err != nil {
		t.Fatal(err)
	}
	err := f.reg.Detach(f.ctx, "m2", false)
	if !errors.Is(err, multicluster.ErrInUse) || !strings.Contains(err.Error(), "default/web") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("detach in use: %v", err)
	}
	if err := f.reg.Detach(f.ctx, "m2", true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reg.Get(f.ctx, "m2"); !errors.Is(err, multicluster.ErrNotFound) {
		t.Fatalf("m2 after detach: %v", err)
	}
}

func (f *registryFixture) testStoppedMember(t *testing.T) {
	cache := multicluster.NewClientCache(f.hub, env.Config)
	if _, err := cache.Client(f.ctx, "hand"); err != nil {
		t.Fatal(err)
	}
	f.m.Stop()
	_, err := f.reg.Probe(f.ctx, "hand")
	want := `cluster "hand" unreachable at ` + f.memberCfg.Host + `: `
	if !errors.Is(err, multicluster.ErrUnreachable) || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("probe: %v, want prefix %q", err, want)
	}
	t.Log(err)
	list, err := f.reg.List(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c := find(list, "hand"); c == nil || c.Health.Healthy || c.Health.Message == "" {
		t.Fatalf("hand after stop = %+v", c)
	}
	cache.ReportFailure("hand", errors.New("connection refused"))
	if _, err := cache.Client(f.ctx, "hand"); err == nil || !strings.Contains(err.Error(), "(retrying in 1s)") {
		t.Fatalf("cache after stop: %v", err)
	}
	_, err = f.reg.JoinKubeconfig(f.ctx, f.m.Cluster.AdminKubeconfig(), multicluster.JoinOptions{Name: "late"})
	if !errors.Is(err, multicluster.ErrUnreachable) || !strings.Contains(err.Error(), f.memberCfg.Host) {
		t.Fatalf("join of a stopped member: %v", err)
	}
}

// handWrittenSecret creates, as KubeVela's docs show, a ServiceAccountToken cluster Secret
// for the member: a cluster-admin service account's token, the member's CA and endpoint.
func handWrittenSecret(ctx context.Context, t *testing.T, hub client.Client, memberCfg *rest.Config) {
	t.Helper()
	mc := memberClient(t, memberCfg)
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "hub", Namespace: "default"}}
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "hub-admin"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "hub", Namespace: "default"}},
	}
	for _, o := range []client.Object{sa, crb} {
		if err := mc.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(3600))}}
	if err := mc.SubResource("token").Create(ctx, sa, tr); err != nil {
		t.Fatalf("requesting a token: %v", err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: "hand", Namespace: "vela-system",
			Labels:      map[string]string{"cluster.core.oam.dev/cluster-credential-type": "ServiceAccountToken", "env": "staging"},
			Annotations: map[string]string{"cluster.core.oam.dev/cluster-alias": "Handmade"},
		},
		Type: corev1.SecretTypeOpaque,
		StringData: map[string]string{
			"endpoint": memberCfg.Host,
			"ca.crt":   string(memberCfg.CAData),
			"token":    tr.Status.Token,
		},
	}
	if len(memberCfg.CAData) == 0 {
		ca, err := os.ReadFile(memberCfg.CAFile)
		if err != nil {
			t.Fatal(err)
		}
		secret.StringData["ca.crt"] = string(ca)
	}
	if err := hub.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func find(list []multicluster.Cluster, name string) *multicluster.Cluster {
	for i := range list {
		if list[i].Name == name {
			return &list[i]
		}
	}
	return nil
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func dataKeys(m map[string][]byte) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ",")
}
