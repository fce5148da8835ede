package multicluster

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DefaultProbeInterval is how long a healthy cluster is trusted before it is probed again.
const DefaultProbeInterval = 30 * time.Second

// Backoff is the schedule of delays before a cluster that failed its probe is probed again.
type Backoff struct {
	// Initial is the delay after the first failure.
	Initial time.Duration
	// Factor multiplies the delay after each further failure.
	Factor float64
	// Max caps the delay.
	Max time.Duration
}

// DefaultBackoff waits 1s, 2s, 4s, … up to 2 minutes.
func DefaultBackoff() Backoff {
	return Backoff{Initial: time.Second, Factor: 2, Max: 2 * time.Minute}
}

// Delay returns the wait after the given number of consecutive failures (at least 1).
func (b Backoff) Delay(failures int) time.Duration {
	d := b.Initial
	for i := 1; i < failures && d < b.Max; i++ {
		d = time.Duration(float64(d) * b.Factor)
	}
	if b.Max > 0 && d > b.Max {
		d = b.Max
	}
	return d
}

// ClientCache hands out a client per cluster, built from the cluster Secrets on the hub and
// kept until the Secret changes. A cluster is probed before its first use and every
// DefaultProbeInterval after; one that fails is not contacted again until its back-off delay
// has passed, and callers get an *UnreachableError saying when the next try is. It is safe
// for concurrent use.
type ClientCache struct {
	hub   client.Client
	local *rest.Config
	s     settings

	mu          sync.Mutex
	entries     map[string]*cacheEntry
	localClient client.Client
}

// cacheEntry is one cluster's client and health; mu serialises its probes.
type cacheEntry struct {
	mu        sync.Mutex
	version   string
	endpoint  string
	config    *rest.Config
	client    client.Client
	healthy   bool
	checkedAt time.Time
	failures  int
	retryAt   time.Time
	lastErr   error
}

// NewClientCache returns a cache reading cluster Secrets through hub (typically the
// manager's cached client); local is the hub's own config, used for "local".
func NewClientCache(hub client.Client, local *rest.Config, opts ...Option) *ClientCache {
	return &ClientCache{hub: hub, local: local, s: newSettings(opts), entries: map[string]*cacheEntry{}}
}

// RESTConfig returns a copy of the client config of a healthy cluster.
func (c *ClientCache) RESTConfig(ctx context.Context, cluster string) (*rest.Config, error) {
	if IsLocal(cluster) {
		return rest.CopyConfig(c.local), nil
	}
	e, err := c.ready(ctx, cluster)
	if err != nil {
		return nil, err
	}
	return rest.CopyConfig(e.config), nil
}

// Client returns the client of a healthy cluster.
func (c *ClientCache) Client(ctx context.Context, cluster string) (client.Client, error) {
	if IsLocal(cluster) {
		return c.hubClient()
	}
	e, err := c.ready(ctx, cluster)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.client == nil {
		cl, err := client.New(e.config, client.Options{Scheme: c.s.scheme})
		if err != nil {
			return nil, fmt.Errorf("building the client of cluster %q at %s: %w", cluster, e.endpoint, err)
		}
		e.client = cl
	}
	return e.client, nil
}

// ReportFailure tells the cache a request to the cluster failed for a connection reason:
// the cluster is treated as failing a probe, and its back-off starts.
func (c *ClientCache) ReportFailure(cluster string, cause error) {
	c.mu.Lock()
	e := c.entries[cluster]
	c.mu.Unlock()
	if e == nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c.fail(e, cause)
}

// Invalidate drops the cached client and health of a cluster.
func (c *ClientCache) Invalidate(cluster string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, cluster)
}

func (c *ClientCache) hubClient() (client.Client, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.localClient == nil {
		cl, err := client.New(c.local, client.Options{Scheme: c.s.scheme})
		if err != nil {
			return nil, fmt.Errorf("building the client of the local cluster: %w", err)
		}
		c.localClient = cl
	}
	return c.localClient, nil
}

// ready returns the entry of a cluster once its Secret is current and its health known good.
func (c *ClientCache) ready(ctx context.Context, cluster string) (*cacheEntry, error) {
	e, err := c.entry(ctx, cluster)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.s.now()
	if now.Before(e.retryAt) {
		return nil, &UnreachableError{Cluster: cluster, Endpoint: e.endpoint, Cause: e.lastErr, RetryIn: e.retryAt.Sub(now)}
	}
	if e.healthy && now.Sub(e.checkedAt) < DefaultProbeInterval {
		return e, nil
	}
	if err := c.s.probe(ctx, e.config); err != nil {
		delay := c.fail(e, err)
		return nil, &UnreachableError{Cluster: cluster, Endpoint: e.endpoint, Cause: err, RetryIn: delay}
	}
	e.healthy, e.checkedAt, e.failures, e.lastErr = true, c.s.now(), 0, nil
	return e, nil
}

// fail records a failed probe on e (locked) and returns the back-off delay.
func (c *ClientCache) fail(e *cacheEntry, cause error) time.Duration {
	e.failures++
	delay := c.s.backoff.Delay(e.failures)
	e.healthy, e.lastErr, e.retryAt = false, cause, c.s.now().Add(delay)
	return delay
}

// entry reads the cluster's Secret and returns its entry, rebuilt when the Secret changed.
func (c *ClientCache) entry(ctx context.Context, cluster string) (*cacheEntry, error) {
	var s corev1.Secret
	if err := c.hub.Get(ctx, client.ObjectKey{Namespace: Namespace, Name: cluster}, &s); err != nil {
		if apierrors.IsNotFound(err) {
			c.Invalidate(cluster)
			return nil, notFoundError(cluster)
		}
		return nil, fmt.Errorf("reading the credential of cluster %q: %w", cluster, err)
	}
	version := string(s.UID) + "/" + s.ResourceVersion
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[cluster]; e != nil && e.version == version {
		return e, nil
	}
	cfg, err := RESTConfigFromSecret(&s)
	if err != nil {
		return nil, err
	}
	e := &cacheEntry{version: version, endpoint: cfg.Host, config: cfg}
	c.entries[cluster] = e
	return e, nil
}
