package server

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

// ManagerController adapts a controller-runtime manager to an embedded Controller: it waits
// until the API server serves resources of groupVersion (CRDs the bootstrap controller
// installs as the server starts), builds the manager with newManager, and calls ready once
// the manager's caches have synced.
func ManagerController(name, groupVersion string, resources []string, newManager func(context.Context, *rest.Config) (manager.Manager, error)) Controller {
	return ControllerFunc{ControllerName: name, Run: func(ctx context.Context, cfg *rest.Config, ready func()) error {
		if err := WaitServed(ctx, cfg, groupVersion, resources...); err != nil {
			return err
		}
		mgr, err := newManager(ctx, cfg)
		if err != nil {
			return err
		}
		if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
			if mgr.GetCache().WaitForCacheSync(ctx) {
				ready()
			}
			<-ctx.Done()
			return nil
		})); err != nil {
			return err
		}
		return mgr.Start(ctx)
	}}
}

// WaitServed polls until the API server serves every one of resources (plural names) in
// groupVersion, or ctx ends.
func WaitServed(ctx context.Context, cfg *rest.Config, groupVersion string, resources ...string) error {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	return wait.PollUntilContextCancel(ctx, 250*time.Millisecond, true, func(context.Context) (bool, error) {
		list, err := dc.ServerResourcesForGroupVersion(groupVersion)
		if err != nil {
			return false, nil
		}
		served := map[string]bool{}
		for _, r := range list.APIResources {
			served[r.Name] = true
		}
		for _, r := range resources {
			if !served[r] {
				return false, nil
			}
		}
		return true, nil
	})
}
