package server

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"velad.io/velad/pkg/server/node"
)

const pollInterval = 100 * time.Millisecond

// waitAPIReady polls /readyz until it answers ok, a component fails, or ctx ends.
func waitAPIReady(ctx context.Context, cfg *rest.Config, sup *supervisor) error {
	cs, err := kubernetes.NewForConfig(withTimeout(cfg))
	if err != nil {
		return err
	}
	return poll(ctx, sup, "API server /readyz", func() (bool, error) {
		body, err := cs.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && string(body) == "ok", nil
	})
}

// waitNodeReady polls until the node reports Ready, with a heartbeat at or after since when
// since is set.
func waitNodeReady(ctx context.Context, cfg *rest.Config, name string, since time.Time, sup *supervisor) error {
	cs, err := kubernetes.NewForConfig(withTimeout(cfg))
	if err != nil {
		return err
	}
	return poll(ctx, sup, "node "+name+" Ready", func() (bool, error) {
		n, err := cs.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		return err == nil && node.Ready(n) && heartbeatSince(n, since), nil
	})
}

func poll(ctx context.Context, sup *supervisor, what string, check func() (bool, error)) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		ok, err := check()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case err := <-sup.errs:
			return fmt.Errorf("waiting for %s: %w", what, err)
		case <-t.C:
		}
	}
}

func withTimeout(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.Timeout = 5 * time.Second
	return c
}

// heartbeatSince reports whether the node's Ready condition was reported at or after since.
func heartbeatSince(n *corev1.Node, since time.Time) bool {
	if since.IsZero() {
		return true
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return !c.LastHeartbeatTime.Time.Before(since)
		}
	}
	return false
}
