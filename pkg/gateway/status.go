package gateway

import (
	"context"
	"net"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	informersnetworkingv1 "k8s.io/client-go/informers/networking/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
)

// publishStatus keeps status.loadBalancer of every Ingress the gateway serves set to its
// address, as ingress controllers do, so that `vela status` shows where an app is reached.
func publishStatus(ctx context.Context, cs kubernetes.Interface, inf informersnetworkingv1.IngressInformer, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	p, _ := strconv.Atoi(port)
	want := networkingv1.IngressLoadBalancerStatus{Ingress: []networkingv1.IngressLoadBalancerIngress{{
		IP: host, Ports: []networkingv1.IngressPortStatus{{Port: int32(p), Protocol: corev1.ProtocolTCP}},
	}}}
	q := workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())
	enqueue := func(obj any) {
		if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
			q.Add(key)
		}
	}
	if _, err := inf.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    enqueue,
		UpdateFunc: func(_, obj any) { enqueue(obj) },
	}); err != nil {
		return err
	}
	go func() { <-ctx.Done(); q.ShutDown() }()
	go wait.UntilWithContext(ctx, func(ctx context.Context) {
		for {
			key, shutdown := q.Get()
			if shutdown {
				return
			}
			if err := setStatus(ctx, cs, inf, key, want); err != nil {
				klog.V(2).InfoS("gateway: updating Ingress status", "ingress", key, "err", err)
				q.AddRateLimited(key)
			} else {
				q.Forget(key)
			}
			q.Done(key)
		}
	}, 0)
	return nil
}

// setStatus writes want into the status of the Ingress key when the gateway serves it.
func setStatus(ctx context.Context, cs kubernetes.Interface, inf informersnetworkingv1.IngressInformer, key string, want networkingv1.IngressLoadBalancerStatus) error {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		utilruntime.HandleError(err)
		return nil
	}
	ing, err := inf.Lister().Ingresses(ns).Get(name)
	if err != nil || !classes[ingressClass(ing)] || apiequality.Semantic.DeepEqual(ing.Status.LoadBalancer, want) {
		return nil // gone, not ours, or up to date
	}
	ing = ing.DeepCopy()
	ing.Status.LoadBalancer = want
	_, err = cs.NetworkingV1().Ingresses(ns).UpdateStatus(ctx, ing, metav1.UpdateOptions{})
	return err
}
