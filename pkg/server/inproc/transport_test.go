package inproc_test

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"velad.io/velad/pkg/server/certs"
	"velad.io/velad/pkg/server/component"
	"velad.io/velad/pkg/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

// unreachable is an address nothing listens on: a client configured with it gets answers
// only if its requests are served in-process.
const unreachable = "https://127.0.0.1:1"

// inProcessClient is a client for the component whose kubeconfig is given, its requests served
// in-process (its Host points nowhere).
func inProcessClient(t *testing.T, cfg *rest.Config) *kubernetes.Clientset {
	t.Helper()
	cfg = rest.CopyConfig(cfg)
	cfg.Host = unreachable
	if err := (component.Embedded{}).InProcess().Configure(cfg); err != nil {
		t.Fatal(err)
	}
	return kubernetes.NewForConfigOrDie(cfg)
}

func componentConfig(t *testing.T, name string) *rest.Config {
	t.Helper()
	cfg, err := clientcmd.BuildConfigFromFlags("", env.Cluster.ComponentKubeconfig(name))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Requests are served in-process with the identity of the client certificate, and their
// bodies, responses and API errors come through whole.
func TestGetListCreateAndErrors(t *testing.T) {
	ctx := context.Background()
	cs := inProcessClient(t, env.Config)
	review, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if u := review.Status.UserInfo; u.Username != "velad-admin" || !slices.Contains(u.Groups, "system:masters") {
		t.Fatalf("admin certificate authenticated as %+v", review.Status.UserInfo)
	}
	big := strings.Repeat("0123456789abcdef", 64<<10) // 1 MiB
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "inproc-body", Namespace: "default"}, Data: map[string]string{"big": big}}
	if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "inproc-body", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Data["big"] != big {
		t.Fatalf("a 1 MiB request body came back as %d bytes", len(got.Data["big"]))
	}
	list, err := cs.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(list.Items, func(c corev1.ConfigMap) bool { return c.Name == "inproc-body" }) {
		t.Fatalf("list of %d ConfigMaps lacks inproc-body", len(list.Items))
	}
	if _, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "inproc-missing", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("get of a missing ConfigMap: %v, want NotFound", err)
	}
	if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); !apierrors.IsAlreadyExists(err) {
		t.Fatalf("second create: %v, want AlreadyExists", err)
	}
}

// A component keeps its identity and its RBAC: kube-scheduler may not list Secrets.
func TestComponentIdentityAndRBAC(t *testing.T) {
	ctx := context.Background()
	cs := inProcessClient(t, componentConfig(t, certs.Scheduler))
	review, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if review.Status.UserInfo.Username != "system:kube-scheduler" {
		t.Fatalf("scheduler certificate authenticated as %q", review.Status.UserInfo.Username)
	}
	_, err = cs.CoreV1().Secrets("kube-system").List(ctx, metav1.ListOptions{})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "system:kube-scheduler") {
		t.Fatalf("scheduler listing secrets: %v, want Forbidden for system:kube-scheduler", err)
	}
	if _, err := cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("scheduler listing pods: %v", err)
	}
}

// A certificate another CA signed authenticates no one, as over TLS.
func TestForeignCertificateIsUnauthorized(t *testing.T) {
	cfg := rest.CopyConfig(env.Config)
	cfg.CertFile, cfg.KeyFile = "", ""
	cfg.CertData, cfg.KeyData = foreignClientCert(t, "velad-admin", "system:masters")
	cs := inProcessClient(t, cfg)
	_, err := cs.CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
	if !apierrors.IsUnauthorized(err) {
		t.Fatalf("self-signed system:masters certificate: %v, want Unauthorized", err)
	}
}

// A bearer token (here a service account's) stays a header and authenticates its owner.
func TestBearerToken(t *testing.T) {
	ctx := context.Background()
	admin := kubernetes.NewForConfigOrDie(env.Config)
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "inproc-sa", Namespace: "default"}}
	if _, err := admin.CoreV1().ServiceAccounts("default").Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	tok, err := admin.CoreV1().ServiceAccounts("default").CreateToken(ctx, "inproc-sa", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := rest.AnonymousClientConfig(env.Config)
	cfg.BearerToken = tok.Status.Token
	cs := inProcessClient(t, cfg)
	review, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "system:serviceaccount:default:inproc-sa"; review.Status.UserInfo.Username != want {
		t.Fatalf("token authenticated as %q, want %q", review.Status.UserInfo.Username, want)
	}
	if _, err := cs.CoreV1().Secrets("default").List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Fatalf("service account listing secrets: %v, want Forbidden", err)
	}
}

// A watch streams events as they happen and ends when the client stops it or cancels its
// context.
func TestWatchStreamsAndStops(t *testing.T) {
	ctx := context.Background()
	cs := inProcessClient(t, env.Config)
	cms := cs.CoreV1().ConfigMaps("default")
	w, err := cms.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=inproc-watch"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "inproc-watch"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ev, ok := <-w.ResultChan()
	if !ok || ev.Type != watch.Added || ev.Object.(*corev1.ConfigMap).Name != "inproc-watch" {
		t.Fatalf("first event: %v %v, want ADDED inproc-watch", ev.Type, ok)
	}
	if err := cms.Delete(ctx, "inproc-watch", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if ev := <-w.ResultChan(); ev.Type != watch.Deleted {
		t.Fatalf("second event: %v, want DELETED", ev.Type)
	}
	w.Stop()
	for range w.ResultChan() {
	}

	cctx, cancel := context.WithCancel(ctx)
	w, err = cms.Watch(cctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for range w.ResultChan() {
	}
	if _, err := cms.Watch(cctx, metav1.ListOptions{}); err == nil {
		t.Fatal("a watch with a cancelled context started")
	}
}

// Connection upgrades (exec, attach, port-forward) are not served in-process: they go to the
// network address of the config (here nowhere).
func TestUpgradeGoesToTheNetwork(t *testing.T) {
	cs := inProcessClient(t, env.Config)
	err := cs.CoreV1().RESTClient().Post().AbsPath("/api/v1/namespaces/default/pods/none/exec").
		SetHeader("Connection", "Upgrade").SetHeader("Upgrade", "SPDY/3.1").Do(context.Background()).Error()
	if err == nil || apierrors.ReasonForError(err) != metav1.StatusReasonUnknown || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("upgrade request: %v, want a connection error to %s", err, unreachable)
	}
}

// foreignClientCert is a client certificate for cn in org, from a CA the cluster does not know.
func foreignClientCert(t *testing.T, cn, org string) (certPEM, keyPEM []byte) {
	t.Helper()
	ca, err := certs.NewCA("not-the-cluster-ca")
	if err != nil {
		t.Fatal(err)
	}
	kp, err := ca.Issue(certs.Request{CommonName: cn, Organization: []string{org}, Client: true})
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, err = kp.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	return kp.CertPEM(), keyPEM
}
