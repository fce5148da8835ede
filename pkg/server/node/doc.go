// Package node provides the cluster's simulated node: a Node object managed in-process by
// kwok's controllers, so that scheduled Pods become Running and Ready, and Deployments,
// StatefulSets, DaemonSets, Jobs and Services behave as on a real cluster. It imports nothing
// from velad.
package node
