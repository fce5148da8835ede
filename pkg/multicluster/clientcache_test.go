package multicluster

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func TestClientCacheBacksOffAndRecovers(t *testing.T) {
	secret := kubeVelaSecret("m1", CredentialToken, map[string]string{KeyEndpoint: "https://m1:6443", KeyToken: "t"})
	hub := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(secret).Build()
	p := &fakeProbe{}
	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cache := NewClientCache(hub, &rest.Config{Host: "https://hub:6443"}, WithProbe(p.probe), WithClock(clk.now))
	ctx := context.Background()

	p.set("https://m1:6443", errors.New("connection refused"))
	wants := []string{"1s", "2s", "4s", "8s"}
	for i, d := range wants {
		_, err := cache.Client(ctx, "m1")
		want := `cluster "m1" unreachable at https://m1:6443: connection refused (retrying in ` + d + `)`
		if !errors.Is(err, ErrUnreachable) || err.Error() != want {
			t.Fatalf("failure %d: err = %v, want %q", i+1, err, want)
		}
		calls := p.calls
		clk.t = clk.t.Add(500 * time.Millisecond) // inside the back-off: no probe
		if _, err := cache.RESTConfig(ctx, "m1"); !errors.Is(err, ErrUnreachable) || p.calls != calls {
			t.Fatalf("within back-off: err = %v, probes %d -> %d", err, calls, p.calls)
		}
		d, _ := time.ParseDuration(d)
		clk.t = clk.t.Add(d)
	}

	p.set("https://m1:6443", nil)
	c1, err := cache.Client(ctx, "m1")
	if err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	calls := p.calls
	if c2, err := cache.Client(ctx, "m1"); err != nil || c2 != c1 || p.calls != calls {
		t.Fatalf("second call: same client %v, err %v, probes %d -> %d", c2 == c1, err, calls, p.calls)
	}

	// A changed Secret (new endpoint) replaces the cached client.
	var s corev1.Secret
	if err := hub.Get(ctx, client.ObjectKeyFromObject(secret), &s); err != nil {
		t.Fatal(err)
	}
	s.Data[KeyEndpoint] = []byte("https://m1-new:6443")
	if err := hub.Update(ctx, &s); err != nil {
		t.Fatal(err)
	}
	cfg, err := cache.RESTConfig(ctx, "m1")
	if err != nil || cfg.Host != "https://m1-new:6443" {
		t.Fatalf("after the secret changed: host %v, err %v", cfg, err)
	}
	if c3, _ := cache.Client(ctx, "m1"); c3 == c1 {
		t.Fatal("client was not rebuilt after the secret changed")
	}

	// A request failure reported by the caller starts the back-off too.
	cache.ReportFailure("m1", errors.New("EOF"))
	if _, err := cache.Client(ctx, "m1"); err == nil || err.Error() != `cluster "m1" unreachable at https://m1-new:6443: EOF (retrying in 1s)` {
		t.Fatalf("after ReportFailure: %v", err)
	}
}

func TestClientCacheUnknownAndLocal(t *testing.T) {
	hub := fake.NewClientBuilder().WithScheme(testScheme(t)).Build()
	cache := NewClientCache(hub, &rest.Config{Host: "https://hub:6443"}, WithProbe((&fakeProbe{}).probe))
	ctx := context.Background()
	if _, err := cache.Client(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown cluster: err = %v", err)
	}
	cfg, err := cache.RESTConfig(ctx, "local")
	if err != nil || cfg.Host != "https://hub:6443" {
		t.Fatalf("local: %v, %v", cfg, err)
	}
}

func TestClientCacheConcurrentCallersShareOneProbe(t *testing.T) {
	secret := kubeVelaSecret("m1", CredentialToken, map[string]string{KeyEndpoint: "https://m1:6443", KeyToken: "t"})
	hub := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(secret).Build()
	p := &fakeProbe{}
	cache := NewClientCache(hub, &rest.Config{Host: "https://hub:6443"}, WithProbe(p.probe))
	var wg sync.WaitGroup
	clients := make([]client.Client, 20)
	for i := range clients {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			name := "m1"
			if i%2 == 1 {
				name = LocalName
			}
			c, err := cache.Client(context.Background(), name)
			if err != nil {
				t.Error(err)
			}
			clients[i] = c
		}(i)
	}
	wg.Wait()
	if p.calls != 1 {
		t.Fatalf("probes = %d, want 1 (local is never probed; m1 once)", p.calls)
	}
	for i := 2; i < len(clients); i++ {
		if clients[i] != clients[i%2] {
			t.Fatalf("caller %d got a different client", i)
		}
	}
}
