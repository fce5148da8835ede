package controller

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/multicluster"
	"velad.io/velad/pkg/workflow"
)

// LocalCluster names the hub, where the controller runs ("" means the same).
const LocalCluster = "local"

// ClusterClients hands out the client of a joined member cluster by name
// (pkg/multicluster.ClientCache implements it).
type ClusterClients interface {
	Client(ctx context.Context, cluster string) (client.Client, error)
}

// failureReporter is implemented by ClusterClients that back off from a
// cluster whose requests fail (pkg/multicluster.ClientCache).
type failureReporter interface {
	ReportFailure(cluster string, cause error)
}

// isLocal reports whether cluster names the hub.
func isLocal(cluster string) bool { return cluster == "" || cluster == LocalCluster }

// clusterKey is how a cluster is recorded in trackers and status: "" for the hub.
func clusterKey(cluster string) string {
	if isLocal(cluster) {
		return ""
	}
	return cluster
}

// clientFor returns the client that reads and writes cluster: the hub's own
// for "" and "local", a member's from r.opts.Clusters otherwise. Every apply,
// read, delete and GC of a tracked resource goes through it.
func (r *Reconciler) clientFor(ctx context.Context, cluster string) (client.Client, error) {
	if isLocal(cluster) {
		return r.client, nil
	}
	if r.opts.Clusters == nil {
		return nil, fmt.Errorf("cluster %q: this controller has no member cluster clients", cluster)
	}
	c, err := r.opts.Clusters.Client(ctx, cluster)
	if err != nil {
		var ue *multicluster.UnreachableError
		if errors.As(err, &ue) {
			return nil, err // its message names the cluster
		}
		return nil, fmt.Errorf("cluster %q: %w", cluster, err)
	}
	return c, nil
}

// stepClient is clientFor for a workflow step: a member that does not answer
// makes the step wait (it is retried, and converges once the member is back);
// a rejected credential or a cluster that is not joined is an error.
func (r *Reconciler) stepClient(ctx context.Context, cluster string) (client.Client, error) {
	c, err := r.clientFor(ctx, cluster)
	if err != nil && unreachable(err) {
		return nil, workflow.Wait("%v", err)
	}
	return c, err
}

// unreachable reports a member that did not answer (not one that refused us).
func unreachable(err error) bool {
	return errors.Is(err, multicluster.ErrUnreachable) && !errors.Is(err, multicluster.ErrCredentialRejected)
}

// requestFailed turns the error of a request to a member into what the step
// should do: a transport failure (the member went away) starts the cluster's
// back-off and makes the step wait; a refused credential says how to fix it.
// Errors name the cluster.
func (r *Reconciler) requestFailed(cluster string, err error) error {
	if err == nil || isLocal(cluster) {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		r.reportFailure(cluster, err)
		return workflow.Wait("cluster %q unreachable: %v", cluster, ue.Err)
	}
	if apierrors.IsUnauthorized(err) || apierrors.IsForbidden(err) {
		return fmt.Errorf("cluster %q refused the request: %w (the stored credential is wrong, expired or lacks access; re-join the cluster with vela cluster join)", cluster, err)
	}
	return fmt.Errorf("cluster %q: %w", cluster, err)
}

// reportFailure starts the back-off of a member whose request failed in transport.
func (r *Reconciler) reportFailure(cluster string, err error) {
	if fr, ok := r.opts.Clusters.(failureReporter); ok {
		fr.ReportFailure(cluster, err)
	}
}

// memberDown reports an error of a request to cluster that says the member
// does not answer (now, or still in its back-off), as opposed to a refusal.
func (r *Reconciler) memberDown(cluster string, err error) bool {
	if err == nil || isLocal(cluster) {
		return false
	}
	if unreachable(err) {
		return true
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		r.reportFailure(cluster, err)
		return true
	}
	return false
}

// members lists the joined clusters and their labels for topology policies.
func (r *Reconciler) members(ctx context.Context) ([]workflow.ClusterInfo, error) {
	cs, err := multicluster.Members(ctx, r.client)
	if err != nil {
		return nil, err
	}
	out := make([]workflow.ClusterInfo, len(cs))
	for i, c := range cs {
		out[i] = workflow.ClusterInfo{Name: c.Name, Labels: c.Labels}
	}
	return out, nil
}
