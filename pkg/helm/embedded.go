package helm

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"velad.io/velad/pkg/server"
)

// NewEmbedded returns the HelmRelease controller as a velad embedded controller: it waits
// until the HelmRelease API is served, then reconciles and calls ready once its cache synced.
func NewEmbedded() server.Controller {
	return server.ManagerController(Embedded, ReleaseGVK.GroupVersion().String(), []string{"helmreleases"}, NewManager)
}

// NewManager returns a manager for cfg with the HelmRelease reconciler registered.
func NewManager(ctx context.Context, cfg *rest.Config) (manager.Manager, error) {
	sch := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(sch); err != nil {
		return nil, err
	}
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 50, 100
	mgr, err := manager.New(cfg, manager.Options{
		Scheme:                 sch,
		Logger:                 logr.FromContextOrDiscard(ctx).WithName(Embedded),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return nil, fmt.Errorf("creating helm controller manager: %w", err)
	}
	if err := Setup(mgr); err != nil {
		return nil, err
	}
	return mgr, nil
}
