// Package multicluster owns velad's cluster registry and the clients for member clusters.
//
// Member clusters are stored exactly as KubeVela stores them: one Secret per cluster in the
// hub's vela-system namespace, named after the cluster, labelled
// cluster.core.oam.dev/cluster-credential-type (X509Certificate or ServiceAccountToken), with
// the data keys endpoint, ca.crt and tls.crt/tls.key or token. Other labels of the Secret are
// the cluster's labels; the cluster.core.oam.dev/cluster-alias annotation is its alias. The
// cluster named "local" is the hub itself and is never stored.
//
// Registry joins, lists, probes, relabels, renames, detaches and exports clusters. ClientCache
// builds and caches a client per cluster from those Secrets, with health probing and back-off,
// for the controllers that dispatch resources.
//
// The package takes the cluster name as an explicit argument (never from a context). It must
// not import the command layer (pkg/cli) or the server (pkg/server).
package multicluster
