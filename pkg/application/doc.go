// Package application operates on delivered Applications through the API server: apply
// manifests (server-side apply), read an Application and the resources it owns, wait for a
// phase, and change its workflow (suspend, resume, terminate, restart, rollback, publish a
// revision) the way KubeVela's CLI does, so that any compatible controller acts on it.
//
// It is the library behind the `vela` commands and, later, the dashboard. It talks to the
// cluster only through a controller-runtime client; it must not import pkg/cli, pkg/server
// or pkg/controller.
package application
