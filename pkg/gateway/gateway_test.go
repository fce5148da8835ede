package gateway

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"velad.io/velad/pkg/testenv"

	"velad.io/velad/pkg/server/node"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

func TestGateway(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := kubernetes.NewForConfigOrDie(env.Config)

	addrFile := filepath.Join(t.TempDir(), "run", "gateway")
	ready, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- Run(ctx, env.Config, Options{Addr: "127.0.0.1:0", AddrFile: addrFile}, func() { close(ready) })
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("gateway exited: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("gateway not ready after a minute")
	}
	b, err := os.ReadFile(addrFile)
	if err != nil {
		t.Fatalf("address file: %v", err)
	}
	base := "http://" + strings.TrimSpace(string(b))

	// Two real backends behind one Service, one EndpointSlice each. EndpointSlices refuse
	// loopback addresses, so the backends listen on a host address.
	hostIP := hostAddress(t)
	var ports []int32
	for _, name := range []string{"a", "b"} {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "backend %s host %s path %s", name, r.Host, r.URL.Path)
		}))
		ln, err := net.Listen("tcp", net.JoinHostPort(hostIP, "0"))
		if err != nil {
			t.Fatal(err)
		}
		srv.Listener = ln
		srv.Start()
		defer srv.Close()
		u, _ := url.Parse(srv.URL)
		p, _ := strconv.Atoi(u.Port())
		ports = append(ports, int32(p))
	}
	createService(t, cs, "web")
	for i, p := range ports {
		createSlice(t, cs, "web", fmt.Sprintf("web-%d", i), hostIP, p, "")
	}
	createIngress(t, cs, "web", "web.example.com", func(ing *networkingv1.Ingress) {
		ing.Annotations = map[string]string{classAnnotation: "nginx"} // as the gateway trait sets it
	})

	seen := map[string]bool{}
	eventually(t, func() error {
		code, body := get(t, base, "web.example.com", "/hello")
		if code != http.StatusOK {
			return fmt.Errorf("status %d: %s", code, body)
		}
		if !strings.Contains(body, "host web.example.com path /hello") {
			return fmt.Errorf("unexpected body %q", body)
		}
		seen[body[:len("backend a")]] = true
		if len(seen) < 2 {
			return fmt.Errorf("only %v answered so far", seen)
		}
		return nil
	})

	// The gateway publishes its address in the Ingress status (the gateway trait's message shows it).
	eventually(t, func() error {
		ing, err := cs.NetworkingV1().Ingresses("default").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		lb := ing.Status.LoadBalancer.Ingress
		if len(lb) != 1 || lb[0].IP != "127.0.0.1" || len(lb[0].Ports) != 1 || !strings.HasSuffix(base, ":"+strconv.Itoa(int(lb[0].Ports[0].Port))) {
			return fmt.Errorf("Ingress status.loadBalancer = %+v, want 127.0.0.1 and the port of %s", lb, base)
		}
		return nil
	})

	// A Service whose only endpoint is a pod on the simulated node.
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: node.SimulatedLabel + "=true"})
	if err != nil || len(nodes.Items) == 0 {
		t.Fatalf("no simulated node: %v", err)
	}
	createService(t, cs, "sim")
	createSlice(t, cs, "sim", "sim-0", "10.244.0.5", 8080, nodes.Items[0].Name)
	createIngress(t, cs, "sim", "sim.example.com", func(ing *networkingv1.Ingress) {
		ing.Spec.IngressClassName = ptr.To("velad")
	})
	eventually(t, func() error {
		code, body := get(t, base, "sim.example.com", "/")
		if code != http.StatusServiceUnavailable || !strings.Contains(body, "no real endpoints") || !strings.Contains(body, "simulated node") {
			return fmt.Errorf("status %d: %s", code, body)
		}
		return nil
	})

	// A deleted Ingress routes no more (the route table follows the changes).
	if err := cs.NetworkingV1().Ingresses("default").Delete(ctx, "sim", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() error {
		if code, body := get(t, base, "sim.example.com", "/"); code != http.StatusNotFound {
			return fmt.Errorf("after deleting Ingress sim: status %d: %s", code, body)
		}
		return nil
	})

	code, body := get(t, base, "unknown.example.com", "/x")
	if code != http.StatusNotFound || !strings.Contains(body, `"unknown.example.com"`) || !strings.Contains(body, `"/x"`) {
		t.Errorf("unknown host: status %d: %s", code, body)
	}

	cancel()
	if err := <-done; err != nil {
		t.Errorf("gateway stopped with %v", err)
	}
	if _, err := os.Stat(addrFile); !os.IsNotExist(err) {
		t.Errorf("address file left behind after stop: %v", err)
	}
}

func TestPathScore(t *testing.T) {
	pt := func(s networkingv1.PathType) *networkingv1.PathType { return &s }
	cases := []struct {
		path string
		typ  networkingv1.PathType
		req  string
		ok   bool
	}{
		{"/", networkingv1.PathTypePrefix, "/anything", true},
		{"/foo", networkingv1.PathTypePrefix, "/foo/bar", true},
		{"/foo/", networkingv1.PathTypePrefix, "/foo", true},
		{"/foo", networkingv1.PathTypePrefix, "/foobar", false},
		{"/foo", networkingv1.PathTypeImplementationSpecific, "/foo/x", true},
		{"/foo", networkingv1.PathTypeExact, "/foo", true},
		{"/foo", networkingv1.PathTypeExact, "/foo/", false},
	}
	for _, c := range cases {
		got := pathScore(&networkingv1.HTTPIngressPath{Path: c.path, PathType: pt(c.typ)}, c.req) >= 0
		if got != c.ok {
			t.Errorf("%s %s vs %s: match %v, want %v", c.typ, c.path, c.req, got, c.ok)
		}
	}
	exact := pathScore(&networkingv1.HTTPIngressPath{Path: "/foo", PathType: pt(networkingv1.PathTypeExact)}, "/foo")
	prefix := pathScore(&networkingv1.HTTPIngressPath{Path: "/foo", PathType: pt(networkingv1.PathTypePrefix)}, "/foo")
	if exact <= prefix {
		t.Errorf("Exact (%d) must rank above a Prefix of the same path (%d)", exact, prefix)
	}
}

func createService(t *testing.T, cs kubernetes.Interface, name string) {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}, // no selector: slices are ours
	}
	if _, err := cs.CoreV1().Services("default").Create(context.Background(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func createSlice(t *testing.T, cs kubernetes.Interface, svc, name, ip string, port int32, node string) {
	t.Helper()
	ep := discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}
	if node != "" {
		ep.NodeName = ptr.To(node)
	}
	s := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{discoveryv1.LabelServiceName: svc}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{ep},
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To(port)}},
	}
	if _, err := cs.DiscoveryV1().EndpointSlices("default").Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func createIngress(t *testing.T, cs kubernetes.Interface, svc, host string, mutate func(*networkingv1.Ingress)) {
	t.Helper()
	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: svc, Namespace: "default"},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{
			Host: host,
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path:     "/",
				PathType: ptr.To(networkingv1.PathTypeImplementationSpecific),
				Backend:  networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: svc, Port: networkingv1.ServiceBackendPort{Number: 80}}},
			}}}},
		}}},
	}
	mutate(ing)
	if _, err := cs.NetworkingV1().Ingresses("default").Create(context.Background(), ing, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// hostAddress is a non-loopback IPv4 address of this host, which an EndpointSlice accepts.
func hostAddress(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && n.IP.IsGlobalUnicast() {
			return n.IP.String()
		}
	}
	t.Skip("this host has no non-loopback IPv4 address for a backend an EndpointSlice accepts")
	return ""
}

// get requests path through the gateway at base with the Host header host.
func get(t *testing.T, base, host, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// eventually retries f for up to 30 seconds (the gateway's caches follow the API server).
func eventually(t *testing.T, f func() error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
