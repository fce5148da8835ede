package controller

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/scheme"
	"velad.io/velad/pkg/multicluster"
	"velad.io/velad/pkg/server"
)

// Name is the embedded controller's name.
const Name = "application-controller"

// NewEmbedded returns the Application controller as a velad embedded
// controller: once the core.oam.dev resources it watches or writes are served,
// it builds a manager for the cluster, registers the reconciler and calls
// ready once the caches have synced.
func NewEmbedded(opts Options) server.Controller {
	needed := []string{"applications", "applicationrevisions", "resourcetrackers",
		"componentdefinitions", "traitdefinitions", "policydefinitions", "workflowstepdefinitions"}
	return server.ManagerController(Name, v1beta1.GroupVersion.String(), needed, func(ctx context.Context, cfg *rest.Config) (manager.Manager, error) {
		return NewManager(ctx, cfg, opts)
	})
}

// NewManager returns a manager for cfg with the Application controller
// registered (for `velad controller --kubeconfig` and NewEmbedded).
func NewManager(ctx context.Context, cfg *rest.Config, opts Options) (manager.Manager, error) {
	opts.defaults()
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = opts.QPS, opts.Burst
	sch, err := scheme.New()
	if err != nil {
		return nil, err
	}
	log := logr.FromContextOrDiscard(ctx)
	if opts.Logger != nil {
		log = *opts.Logger
	}
	resync := opts.ResyncPeriod
	mgr, err := manager.New(cfg, manager.Options{
		Scheme:                  sch,
		Logger:                  log,
		Metrics:                 metricsserver.Options{BindAddress: addr(opts.MetricsAddr)},
		HealthProbeBindAddress:  addr(opts.HealthProbeAddr),
		LeaderElection:          opts.LeaderElection,
		LeaderElectionID:        "velad-application-controller",
		LeaderElectionNamespace: opts.LeaderElectionNamespace,
		// No code of the controller reads managedFields: the cached Applications,
		// definitions and workloads are kept without them (less memory, and a cached
		// workload converts to the unstructured object its health policy sees faster).
		Cache: cache.Options{SyncPeriod: &resync, ByObject: workloadCache(), DefaultTransform: cache.TransformStripManagedFields()},
		// Revisions are read one by one from the API server (reader); a Get through the
		// manager's client must not start a cluster-wide informer holding every revision.
		Client: client.Options{Cache: &client.CacheOptions{DisableFor: []client.Object{&v1beta1.ApplicationRevision{}}}},
	})
	if err != nil {
		return nil, fmt.Errorf("creating controller manager: %w", err)
	}
	if opts.Clusters == nil {
		opts.Clusters = multicluster.NewClientCache(mgr.GetClient(), cfg, multicluster.WithScheme(sch))
	}
	reader := mgr.GetAPIReader()
	opts.RevisionCompression = storedCompression(ctx, reader, log, "applicationrevisions.core.oam.dev", opts.RevisionCompression)
	opts.TrackerCompression = storedCompression(ctx, reader, log, "resourcetrackers.core.oam.dev", opts.TrackerCompression)
	if err := Setup(mgr, opts); err != nil {
		return nil, err
	}
	return mgr, nil
}
