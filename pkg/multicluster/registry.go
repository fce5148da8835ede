package multicluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Registry manages the clusters joined to a hub.
type Registry struct {
	hub   client.Client
	local *rest.Config
	probe ProbeFunc
	now   func() time.Time
}

// Option configures a Registry or a ClientCache.
type Option func(*settings)

type settings struct {
	probe   ProbeFunc
	now     func() time.Time
	backoff Backoff
	scheme  *runtime.Scheme
}

func newSettings(opts []Option) settings {
	s := settings{probe: ProbeReadyz(DefaultProbeTimeout), now: time.Now, backoff: DefaultBackoff(), scheme: clientgoscheme.Scheme}
	for _, o := range opts {
		o(&s)
	}
	return s
}

// WithProbe replaces the readiness probe (ProbeReadyz(DefaultProbeTimeout) by default).
func WithProbe(p ProbeFunc) Option { return func(s *settings) { s.probe = p } }

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(s *settings) { s.now = now } }

// WithBackoff sets the ClientCache's retry delays after failed probes.
func WithBackoff(b Backoff) Option { return func(s *settings) { s.backoff = b } }

// WithScheme sets the scheme of the clients a ClientCache builds (client-go's by default).
func WithScheme(sc *runtime.Scheme) Option { return func(s *settings) { s.scheme = sc } }

// NewRegistry returns a registry storing clusters through hub; local is the hub's own
// client config, used for the "local" cluster.
func NewRegistry(hub client.Client, local *rest.Config, opts ...Option) *Registry {
	s := newSettings(opts)
	return &Registry{hub: hub, local: local, probe: s.probe, now: s.now}
}

// Connect returns a registry for the hub reached by cfg.
func Connect(cfg *rest.Config, opts ...Option) (*Registry, error) {
	c, err := client.New(cfg, client.Options{Scheme: clientgoscheme.Scheme})
	if err != nil {
		return nil, fmt.Errorf("connecting to the hub at %s: %w", cfg.Host, err)
	}
	return NewRegistry(c, cfg, opts...), nil
}

// JoinOptions describe a cluster to join.
type JoinOptions struct {
	// Name of the cluster; the kubeconfig's cluster name when empty.
	Name string
	// Context is the kubeconfig context to read; the current context when empty.
	Context string
	// Alias is an optional display name.
	Alias string
	// Labels are the cluster labels.
	Labels map[string]string
}

// JoinKubeconfig joins the cluster of a kubeconfig file (see Join).
func (r *Registry) JoinKubeconfig(ctx context.Context, path string, o JoinOptions) (*Cluster, error) {
	cred, clusterName, err := CredentialFromKubeconfig(path, o.Context)
	if err != nil {
		return nil, err
	}
	if o.Name == "" {
		o.Name = clusterName
	}
	return r.Join(ctx, cred, o)
}

// Join stores the credential of a cluster after checking the name is free and the cluster
// answers its readiness probe with that credential.
func (r *Registry) Join(ctx context.Context, cred *Credential, o JoinOptions) (*Cluster, error) {
	if err := ValidateName(o.Name); err != nil {
		return nil, err
	}
	if err := ValidateLabels(o.Labels); err != nil {
		return nil, err
	}
	if _, err := r.secret(ctx, o.Name); err == nil {
		return nil, fmt.Errorf("%w: %q is already joined: pick another --name, or rename the existing one first with vela cluster rename %s <new-name>", ErrExists, o.Name, o.Name)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if err := r.probe(ctx, cred.restConfig()); err != nil {
		return nil, &UnreachableError{Cluster: o.Name, Endpoint: cred.Endpoint, Cause: err}
	}
	if err := ensureNamespace(ctx, r.hub, Namespace); err != nil {
		return nil, fmt.Errorf("creating namespace %s on the hub: %w", Namespace, err)
	}
	s := secretFor(o.Name, cred, o.Alias, o.Labels)
	if err := r.hub.Create(ctx, s); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("%w: %q was joined concurrently: pick another --name", ErrExists, o.Name)
		}
		return nil, fmt.Errorf("storing the credential of cluster %q: %w", o.Name, err)
	}
	return FromSecret(s)
}

// Get returns a cluster, without probing it.
func (r *Registry) Get(ctx context.Context, name string) (*Cluster, error) {
	if IsLocal(name) {
		return r.localCluster(), nil
	}
	s, err := r.secret(ctx, name)
	if err != nil {
		return nil, err
	}
	return FromSecret(s)
}

// List returns the local cluster, then every joined cluster sorted by name, each probed
// (concurrently) for health.
func (r *Registry) List(ctx context.Context) ([]Cluster, error) {
	var secrets corev1.SecretList
	if err := r.hub.List(ctx, &secrets, client.InNamespace(Namespace), client.HasLabels{LabelCredentialType}); err != nil {
		return nil, fmt.Errorf("listing cluster secrets in %s: %w", Namespace, err)
	}
	type entry struct {
		c   Cluster
		cfg *rest.Config
	}
	entries := []entry{{*r.localCluster(), r.local}}
	for i := range secrets.Items {
		c, err := FromSecret(&secrets.Items[i])
		if err != nil {
			continue // not a usable credential; KubeVela skips these too
		}
		cfg, err := RESTConfigFromSecret(&secrets.Items[i])
		if err != nil {
			c.Health = &Health{Message: err.Error(), ProbedAt: r.now()}
		}
		entries = append(entries, entry{*c, cfg})
	}
	sort.SliceStable(entries[1:], func(i, j int) bool { return entries[1+i].c.Name < entries[1+j].c.Name })
	var wg sync.WaitGroup
	for i := range entries {
		if entries[i].c.Health != nil {
			continue
		}
		wg.Add(1)
		go func(e *entry) {
			defer wg.Done()
			e.c.Health = r.health(ctx, e.cfg)
		}(&entries[i])
	}
	wg.Wait()
	out := make([]Cluster, len(entries))
	for i := range entries {
		out[i] = entries[i].c
	}
	return out, nil
}

// Probe checks that a cluster answers; the error is an *UnreachableError when it does not.
func (r *Registry) Probe(ctx context.Context, name string) (*Cluster, error) {
	c, cfg, err := r.clusterConfig(ctx, name)
	if err != nil {
		return nil, err
	}
	c.Health = r.health(ctx, cfg)
	if !c.Health.Healthy {
		return c, &UnreachableError{Cluster: c.Name, Endpoint: c.Endpoint, Cause: errors.New(c.Health.Message)}
	}
	return c, nil
}

// RESTConfig returns the client config of a cluster (the hub's for "local").
func (r *Registry) RESTConfig(ctx context.Context, name string) (*rest.Config, error) {
	_, cfg, err := r.clusterConfig(ctx, name)
	return cfg, err
}

// ExportConfig returns a kubeconfig reaching a joined cluster with its stored credential.
func (r *Registry) ExportConfig(ctx context.Context, name string) ([]byte, error) {
	if IsLocal(name) {
		return nil, fmt.Errorf("%w: its kubeconfig is the one you already use (velad kubeconfig prints its path)", ErrLocal)
	}
	s, err := r.secret(ctx, name)
	if err != nil {
		return nil, err
	}
	return KubeconfigFromSecret(s)
}

func (r *Registry) health(ctx context.Context, cfg *rest.Config) *Health {
	h := &Health{Healthy: true, ProbedAt: r.now()}
	if err := r.probe(ctx, cfg); err != nil {
		h.Healthy, h.Message = false, err.Error()
	}
	return h
}

func (r *Registry) clusterConfig(ctx context.Context, name string) (*Cluster, *rest.Config, error) {
	if IsLocal(name) {
		return r.localCluster(), rest.CopyConfig(r.local), nil
	}
	s, err := r.secret(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	c, err := FromSecret(s)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := RESTConfigFromSecret(s)
	return c, cfg, err
}

func (r *Registry) localCluster() *Cluster {
	return &Cluster{Name: LocalName, Type: CredentialInternal, Endpoint: r.local.Host}
}

// secret gets the credential Secret of a joined cluster.
func (r *Registry) secret(ctx context.Context, name string) (*corev1.Secret, error) {
	var s corev1.Secret
	if err := r.hub.Get(ctx, client.ObjectKey{Namespace: Namespace, Name: name}, &s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, notFoundError(name)
		}
		return nil, fmt.Errorf("reading cluster %q: %w", name, err)
	}
	if !IsClusterSecret(&s) {
		return nil, fmt.Errorf("%w: secret %s/%s exists but is not a cluster credential (no %s label)", ErrNotFound, Namespace, name, LabelCredentialType)
	}
	return &s, nil
}

func ensureNamespace(ctx context.Context, c client.Client, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}
