package controller

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// LocalCluster names the hub, where the controller runs ("" means the same).
const LocalCluster = "local"

// ClusterClients hands out the client of a joined member cluster by name
// (pkg/multicluster.ClientCache implements it).
type ClusterClients interface {
	Client(ctx context.Context, cluster string) (client.Client, error)
}

// clientFor returns the client that reads and writes cluster: the hub's own
// for "" and "local", a member's from r.opts.Clusters otherwise. Every apply,
// read, delete and GC of a tracked resource goes through it.
func (r *Reconciler) clientFor(ctx context.Context, cluster string) (client.Client, error) {
	if cluster == "" || cluster == LocalCluster {
		return r.client, nil
	}
	if r.opts.Clusters == nil {
		return nil, fmt.Errorf("cluster %q: this controller has no member cluster clients", cluster)
	}
	c, err := r.opts.Clusters.Client(ctx, cluster)
	if err != nil {
		return nil, fmt.Errorf("cluster %q: %w", cluster, err)
	}
	return c, nil
}
