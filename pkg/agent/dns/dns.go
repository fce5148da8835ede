// Package dns runs cluster DNS for a real node: CoreDNS (github.com/coredns/coredns) in the
// velad process with its kubernetes plugin, listening on the node's IP, and the kube-dns
// Service at the cluster DNS address whose EndpointSlice points at it, so that kube-proxy
// carries pods' queries to it.
package dns

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/coredns/caddy"
	_ "github.com/coredns/coredns/core/dnsserver" // the "dns" server type
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// Port is where CoreDNS listens on the node's IP (53 is often taken on a host).
const Port = 10053

// Config describes the cluster DNS of one node.
type Config struct {
	// NodeIP is the address CoreDNS binds and the kube-dns endpoint.
	NodeIP string
	// ServiceIP is the kube-dns Service's cluster IP.
	ServiceIP string
	// Kubeconfig is a kubeconfig CoreDNS and the Service setup use.
	Kubeconfig string
	// ResolvConf is the upstream resolver configuration for names outside the cluster.
	ResolvConf string
}

// Corefile renders CoreDNS's configuration.
func (c Config) Corefile() string {
	upstream := "forward . " + c.ResolvConf
	if c.ResolvConf == "" {
		upstream = ""
	}
	return fmt.Sprintf(`.:%d {
    bind %s
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig %s
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    %s
    cache 30
    loadbalance
}
`, Port, c.NodeIP, c.Kubeconfig, upstream)
}

// Run starts CoreDNS, publishes the kube-dns Service and its endpoint, and serves until ctx
// is done.
func Run(ctx context.Context, c Config) error {
	inst, err := caddy.Start(caddy.CaddyfileInput{Contents: []byte(c.Corefile()), Filepath: "Corefile", ServerTypeName: "dns"})
	if err != nil {
		return fmt.Errorf("starting CoreDNS on %s: %w", net.JoinHostPort(c.NodeIP, strconv.Itoa(Port)), err)
	}
	defer func() { _ = inst.Stop() }()
	// The kubernetes plugin's setup routes klog, process-wide, through CoreDNS's logger;
	// give the rest of velad its own log format back.
	klog.ClearLogger()
	if err := publish(ctx, c); err != nil {
		return err
	}
	klog.InfoS("cluster DNS is serving", "service", c.ServiceIP, "listen", net.JoinHostPort(c.NodeIP, strconv.Itoa(Port)))
	<-ctx.Done()
	return nil
}

// publish creates or updates the kube-dns Service and its EndpointSlice.
func publish(ctx context.Context, c Config) error {
	rc, err := clientcmd.BuildConfigFromFlags("", c.Kubeconfig)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	labels := map[string]string{"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS", "app.kubernetes.io/managed-by": "velad"}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-dns", Namespace: metav1.NamespaceSystem, Labels: labels},
		Spec: corev1.ServiceSpec{
			ClusterIP: c.ServiceIP,
			Ports: []corev1.ServicePort{
				{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(Port)},
				{Name: "dns-tcp", Port: 53, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(Port)},
			},
		},
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-dns-velad", Namespace: metav1.NamespaceSystem, Labels: map[string]string{
			discoveryv1.LabelServiceName: "kube-dns", discoveryv1.LabelManagedBy: "velad.io",
		}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{c.NodeIP}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
		Ports: []discoveryv1.EndpointPort{
			{Name: ptr.To("dns"), Port: ptr.To(int32(Port)), Protocol: ptr.To(corev1.ProtocolUDP)},
			{Name: ptr.To("dns-tcp"), Port: ptr.To(int32(Port)), Protocol: ptr.To(corev1.ProtocolTCP)},
		},
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err = apply(ctx, cs, svc, slice)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("publishing the kube-dns Service: %w", err)
	}
	return nil
}

func apply(ctx context.Context, cs kubernetes.Interface, svc *corev1.Service, slice *discoveryv1.EndpointSlice) error {
	services := cs.CoreV1().Services(svc.Namespace)
	if cur, err := services.Get(ctx, svc.Name, metav1.GetOptions{}); err == nil {
		if cur.Spec.ClusterIP != svc.Spec.ClusterIP {
			return fmt.Errorf("Service kube-system/kube-dns has cluster IP %s, the node's DNS is %s: delete the Service", cur.Spec.ClusterIP, svc.Spec.ClusterIP)
		}
		cur.Spec.Ports, cur.Spec.Selector, cur.Labels = svc.Spec.Ports, nil, svc.Labels
		if _, err := services.Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			return err
		}
	} else if apierrors.IsNotFound(err) {
		if _, err := services.Create(ctx, svc, metav1.CreateOptions{}); err != nil {
			return err
		}
	} else {
		return err
	}
	slices := cs.DiscoveryV1().EndpointSlices(slice.Namespace)
	if cur, err := slices.Get(ctx, slice.Name, metav1.GetOptions{}); err == nil {
		cur.Endpoints, cur.Ports, cur.Labels = slice.Endpoints, slice.Ports, slice.Labels
		_, err = slices.Update(ctx, cur, metav1.UpdateOptions{})
		return err
	} else if !apierrors.IsNotFound(err) {
		return err
	}
	_, err := slices.Create(ctx, slice, metav1.CreateOptions{})
	return err
}
