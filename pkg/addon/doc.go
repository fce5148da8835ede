// Package addon owns velad's addons in KubeVela's addon directory format: loading an addon
// from a registry (the addons embedded in the binary, or a local directory), rendering it
// into the `addon-<name>` Application in vela-system, and enabling, disabling and
// inspecting it on a cluster (parameters in the `addon-secret-<name>` Secret, definitions
// applied, dependencies enabled first, version requirements checked).
//
// It takes a log.Logger for progress and talks to the cluster through a controller-runtime
// client; rendering works without a cluster. It must not import pkg/cli, pkg/server or
// pkg/controller.
package addon
