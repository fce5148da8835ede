// Package component runs the upstream Kubernetes control-plane components — kube-apiserver,
// kube-controller-manager and kube-scheduler — behind one Executor interface. The embedded
// implementation runs them as goroutines of the velad process from k8s.io/kubernetes; it
// builds each from its options and Run function (never from its cobra command, which would
// install a second process signal handler). Only one control plane may run per process.
// The package imports nothing from velad.
package component
