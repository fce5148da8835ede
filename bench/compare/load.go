package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
)

// apiResult is the outcome of one batch of API calls.
type apiResult struct {
	perSecond float64
	p99ms     float64
}

// parallel runs fn(i) for i in [0,n) on workers goroutines, timing each call; it stops at the
// first error.
func parallel(ctx context.Context, n, workers int, fn func(ctx context.Context, i int) error) (apiResult, error) {
	lat := make([]time.Duration, n)
	next := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t := time.Now()
				if err := fn(ctx, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				lat[i] = time.Since(t)
			}
		}()
	}
feed:
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return apiResult{}, firstErr
	}
	elapsed := time.Since(start)
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	p99 := lat[(len(lat)*99+99)/100-1]
	return apiResult{perSecond: float64(n) / elapsed.Seconds(), p99ms: float64(p99.Microseconds()) / 1000}, nil
}

// configMapLoad creates n ConfigMaps, then reads each back, through client-go with workers
// concurrent callers and no client-side rate limit.
func configMapLoad(ctx context.Context, cfg *rest.Config, n, workers int) (create, get apiResult, err error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return
	}
	cms := cs.CoreV1().ConfigMaps("default")
	name := func(i int) string { return "bench-" + strconv.Itoa(i) }
	create, err = parallel(ctx, n, workers, func(ctx context.Context, i int) error {
		_, err := cms.Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: name(i)},
			Data:       map[string]string{"key": "value-" + strconv.Itoa(i)},
		}, metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return create, get, fmt.Errorf("creating ConfigMaps: %w", err)
	}
	get, err = parallel(ctx, n, workers, func(ctx context.Context, i int) error {
		_, err := cms.Get(ctx, name(i), metav1.GetOptions{})
		return err
	})
	if err != nil {
		err = fmt.Errorf("reading ConfigMaps: %w", err)
	}
	return create, get, err
}

// deploymentLoad creates n Deployments of replicas pods each and returns the seconds until
// every Deployment reports all replicas Ready (at most timeout).
func deploymentLoad(ctx context.Context, cfg *rest.Config, n, replicas, workers int, timeout time.Duration) (float64, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return 0, err
	}
	deps := cs.AppsV1().Deployments("default")
	start := time.Now()
	_, err = parallel(ctx, n, workers, func(ctx context.Context, i int) error {
		_, err := deps.Create(ctx, deployment("bench-"+strconv.Itoa(i), int32(replicas)), metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("creating Deployments: %w", err)
	}
	err = until(ctx, timeout, fmt.Sprintf("%d Deployments × %d replicas Ready", n, replicas), func() bool {
		list, err := deps.List(ctx, metav1.ListOptions{LabelSelector: "bench=deploy"})
		if err != nil || len(list.Items) < n {
			return false
		}
		for _, d := range list.Items {
			if d.Status.ReadyReplicas < int32(replicas) {
				return false
			}
		}
		return true
	})
	return time.Since(start).Seconds(), err
}

func deployment(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"bench": "deploy"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}},
					// kwok's fast stages apply to pods bound to its nodes; tolerate any taint.
					Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
				},
			},
		},
	}
}
