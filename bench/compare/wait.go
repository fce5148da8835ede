package main

import (
	"context"
	"fmt"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

const pollEvery = 50 * time.Millisecond

// until polls check every 50 ms until it reports true or timeout passes.
func until(ctx context.Context, timeout time.Duration, what string, check func() bool) error {
	deadline := time.Now().Add(timeout)
	for !check() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not reached within %s", what, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollEvery):
		}
	}
	return nil
}

// clientFor waits for the kubeconfig file to exist and returns a fast, unthrottled client
// config for it (1 s per request while polling).
func clientFor(ctx context.Context, path string, timeout time.Duration) (*rest.Config, error) {
	if err := until(ctx, timeout, "kubeconfig "+path, func() bool { _, err := os.Stat(path); return err == nil }); err != nil {
		return nil, err
	}
	var cfg *rest.Config
	err := until(ctx, timeout, "reading kubeconfig", func() bool {
		c, err := clientcmd.BuildConfigFromFlags("", path)
		cfg = c
		return err == nil
	})
	if err != nil {
		return nil, err
	}
	cfg.QPS, cfg.Burst = -1, 0
	return cfg, nil
}

func quick(cfg *rest.Config) kubernetes.Interface {
	c := rest.CopyConfig(cfg)
	c.Timeout = time.Second
	return kubernetes.NewForConfigOrDie(c)
}

// waitReadyz waits until /readyz answers ok.
func waitReadyz(ctx context.Context, cfg *rest.Config, timeout time.Duration) error {
	cs := quick(cfg)
	return until(ctx, timeout, "/readyz", func() bool {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && string(body) == "ok"
	})
}

// waitDefaults waits until the default namespaces and the default ServiceAccount (made by
// the controller-manager) exist.
func waitDefaults(ctx context.Context, cfg *rest.Config, timeout time.Duration) error {
	cs := quick(cfg)
	return until(ctx, timeout, "default namespaces and ServiceAccount", func() bool {
		for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
			if _, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
				return false
			}
		}
		_, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	})
}

// waitNodeReady waits until some node reports Ready.
func waitNodeReady(ctx context.Context, cfg *rest.Config, timeout time.Duration) error {
	cs := quick(cfg)
	return until(ctx, timeout, "a Ready node", func() bool {
		nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		for _, n := range nodes.Items {
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					return true
				}
			}
		}
		return false
	})
}
