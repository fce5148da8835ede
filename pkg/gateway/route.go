package gateway

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	networkinglisters "k8s.io/client-go/listers/networking/v1"

	"velad.io/velad/pkg/server/node"
)

// classAnnotation is the legacy way to set an Ingress's class (the gateway trait's default).
const classAnnotation = "kubernetes.io/ingress.class"

// classes are the Ingress classes the gateway serves ("" is an Ingress without a class).
var classes = map[string]bool{"": true, "velad": true, "nginx": true}

// router answers requests from the cluster's Ingresses, Services, EndpointSlices and Nodes.
type router struct {
	routes   *routeTable
	services corelisters.ServiceLister
	slices   discoverylisters.EndpointSliceLister
	nodes    corelisters.NodeLister

	next sync.Map // backend key -> *atomic.Uint64, the round-robin counters
}

type targetKey struct{}

// routeTable is the Ingresses the gateway serves (by class), oldest first so that ties go to
// the oldest Ingress. It is listed and sorted again only after an Ingress changed (the
// informer calls changed), not per request.
type routeTable struct {
	lister networkinglisters.IngressLister
	stale  atomic.Bool

	mu     sync.Mutex
	built  bool
	sorted []*networkingv1.Ingress
}

// newRouteTable returns the table of the Ingresses lister holds.
func newRouteTable(lister networkinglisters.IngressLister) *routeTable {
	return &routeTable{lister: lister}
}

// changed marks the table stale: an Ingress was added, updated or deleted.
func (t *routeTable) changed() { t.stale.Store(true) }

// ingresses returns the served Ingresses, oldest first; callers must not modify them.
func (t *routeTable) ingresses() ([]*networkingv1.Ingress, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.built && !t.stale.Load() {
		return t.sorted, nil
	}
	t.stale.Store(false) // a change from here on makes it stale again
	all, err := t.lister.List(labels.Everything())
	if err != nil {
		t.stale.Store(true)
		return nil, err
	}
	served := all[:0]
	for _, ing := range all {
		if classes[ingressClass(ing)] {
			served = append(served, ing)
		}
	}
	sort.Slice(served, func(i, j int) bool {
		a, b := served[i], served[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
	t.sorted, t.built = served, true
	return served, nil
}

// handler returns the gateway's HTTP handler.
func (r *router) handler() http.Handler {
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(pr.In.Context().Value(targetKey{}).(*url.URL))
			pr.Out.Host = pr.In.Host // keep the Host the client asked for, as ingress controllers do
			pr.SetXForwarded()
		},
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			http.Error(w, fmt.Sprintf("velad gateway: backend %s did not answer: %v", req.URL.Host, err), http.StatusBadGateway)
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		host := hostOnly(req.Host)
		be, ing := r.match(host, req.URL.Path)
		if be == nil {
			http.Error(w, fmt.Sprintf("velad gateway: no Ingress routes host %q path %q; an Ingress rule must name this host (or none) "+
				"and a matching path, with ingressClassName or the %s annotation empty, velad or nginx (kubectl get ingress -A)",
				host, req.URL.Path, classAnnotation), http.StatusNotFound)
			return
		}
		target, err := r.pick(ing.Namespace, be)
		if err != nil {
			http.Error(w, fmt.Sprintf("velad gateway: Ingress %s/%s routes host %q path %q, but %v", ing.Namespace, ing.Name, host, req.URL.Path, err),
				http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), targetKey{}, &url.URL{Scheme: "http", Host: target})))
	})
}

// match returns the backend of the Ingress rule that best matches host and path: a rule naming
// the host beats a wildcard or host-less one, then the longest path wins, Exact before Prefix.
// An Ingress's defaultBackend serves what no rule matches.
func (r *router) match(host, path string) (*networkingv1.IngressServiceBackend, *networkingv1.Ingress) {
	all, err := r.routes.ingresses()
	if err != nil {
		return nil, nil
	}
	var (
		best      *networkingv1.IngressServiceBackend
		bestIng   *networkingv1.Ingress
		bestScore = -1
		fallback  *networkingv1.Ingress
	)
	for _, ing := range all {
		if fallback == nil && ing.Spec.DefaultBackend != nil && ing.Spec.DefaultBackend.Service != nil {
			fallback = ing
		}
		for _, rule := range ing.Spec.Rules {
			hs := hostScore(rule.Host, host)
			if hs < 0 || rule.HTTP == nil {
				continue
			}
			for i := range rule.HTTP.Paths {
				p := &rule.HTTP.Paths[i]
				ps := pathScore(p, path)
				if ps < 0 || p.Backend.Service == nil {
					continue
				}
				if s := hs<<24 | ps; s > bestScore {
					best, bestIng, bestScore = p.Backend.Service, ing, s
				}
			}
		}
	}
	if best == nil && fallback != nil {
		return fallback.Spec.DefaultBackend.Service, fallback
	}
	return best, bestIng
}

// ingressClass is the class an Ingress asks for, in its spec or by the legacy annotation.
func ingressClass(ing *networkingv1.Ingress) string {
	if ing.Spec.IngressClassName != nil {
		return *ing.Spec.IngressClassName
	}
	return ing.Annotations[classAnnotation]
}

// hostScore is 2 when the rule names host, 1 for a matching wildcard or a host-less rule and
// -1 when it does not match.
func hostScore(rule, host string) int {
	switch {
	case rule == "":
		return 1
	case strings.EqualFold(rule, host):
		return 2
	case strings.HasPrefix(rule, "*."):
		i := strings.IndexByte(host, '.')
		if i > 0 && strings.EqualFold(rule[1:], host[i:]) {
			return 1
		}
	}
	return -1
}

// pathScore ranks how well an Ingress path matches path (longer is better, Exact beats Prefix
// of the same length); -1 when it does not match. ImplementationSpecific is a Prefix.
func pathScore(p *networkingv1.HTTPIngressPath, path string) int {
	want := p.Path
	if want == "" {
		want = "/"
	}
	if p.PathType != nil && *p.PathType == networkingv1.PathTypeExact {
		if path != want {
			return -1
		}
		return 2*len(want) + 1
	}
	trimmed := strings.TrimRight(want, "/")
	if trimmed == "" || path == trimmed || strings.HasPrefix(path, trimmed+"/") {
		return 2 * len(trimmed)
	}
	return -1
}

// pick returns the next ready endpoint (host:port) of the backend, round-robin, or why there is
// none.
func (r *router) pick(ns string, be *networkingv1.IngressServiceBackend) (string, error) {
	svc, err := r.services.Services(ns).Get(be.Name)
	if err != nil {
		return "", fmt.Errorf("its Service %s/%s does not exist", ns, be.Name)
	}
	var sp *corev1.ServicePort
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if (be.Port.Name != "" && p.Name == be.Port.Name) || (be.Port.Name == "" && p.Port == be.Port.Number) {
			sp = p
			break
		}
	}
	if sp == nil {
		return "", fmt.Errorf("Service %s/%s has no port %s", ns, be.Name, portString(be.Port))
	}
	slices, err := r.slices.EndpointSlices(ns).List(labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: be.Name}))
	if err != nil {
		return "", err
	}
	var targets []string
	simulated := 0
	for _, s := range slices {
		port := slicePort(s, sp.Name)
		if port == 0 {
			continue
		}
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
				continue
			}
			if r.onSimulatedNode(ep) {
				simulated++
				continue
			}
			for _, a := range ep.Addresses {
				targets = append(targets, net.JoinHostPort(a, strconv.Itoa(int(port))))
			}
		}
	}
	if len(targets) == 0 {
		if simulated > 0 {
			return "", fmt.Errorf("there are no real endpoints: the %d ready endpoint(s) of Service %s/%s are pods on velad's simulated node "+
				"(label %s=true), which do not run and whose IPs are unreachable; install with `velad install --node real` to run real containers",
				simulated, ns, be.Name, node.SimulatedLabel)
		}
		return "", fmt.Errorf("Service %s/%s has no ready endpoints for port %s (kubectl get endpointslices -n %s -l %s=%s)",
			ns, be.Name, portString(be.Port), ns, discoveryv1.LabelServiceName, be.Name)
	}
	sort.Strings(targets)
	key := ns + "/" + be.Name + ":" + portString(be.Port)
	n, _ := r.next.LoadOrStore(key, new(atomic.Uint64))
	return targets[(n.(*atomic.Uint64).Add(1)-1)%uint64(len(targets))], nil
}

// onSimulatedNode tells whether an endpoint's pod runs on a node labelled simulated.
func (r *router) onSimulatedNode(ep discoveryv1.Endpoint) bool {
	if ep.NodeName == nil {
		return false
	}
	n, err := r.nodes.Get(*ep.NodeName)
	return err == nil && n.Labels[node.SimulatedLabel] == "true"
}

// slicePort is the port of the slice named name (a Service port's name), 0 when absent.
func slicePort(s *discoveryv1.EndpointSlice, name string) int32 {
	for _, p := range s.Ports {
		pn := ""
		if p.Name != nil {
			pn = *p.Name
		}
		if pn == name && p.Port != nil {
			return *p.Port
		}
	}
	return 0
}

func portString(p networkingv1.ServiceBackendPort) string {
	if p.Name != "" {
		return p.Name
	}
	return strconv.Itoa(int(p.Number))
}

// hostOnly strips the port from a Host header.
func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return h
}
