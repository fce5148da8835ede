// Package server is velad's embedded control plane: in one process it starts the datastore
// (kine on SQLite), kube-apiserver, kube-controller-manager, kube-scheduler and the cluster's
// node, then the embedded controllers registered with it (the delivery controller, addons,
// dashboard), in that order, gating each step on the readiness of the previous one.
//
// Subpackages own one piece each: config (what to run), certs (PKI), kubeconfig, datastore,
// component (the upstream components behind an Executor) and node. The server must not
// import the command layer (pkg/cli) or the cluster lifecycle (pkg/cluster).
package server
