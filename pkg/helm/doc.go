// Package helm owns velad's built-in Helm delivery: an embedded controller that reconciles
// Flux-compatible HelmRelease objects (helm.toolkit.fluxcd.io) by installing, upgrading,
// rolling back and uninstalling the chart in-process with the Helm SDK, so no Flux
// controllers are needed. Charts come from the HelmRepository or GitRepository a release
// refers to: an HTTP chart repository or OCI registry when reachable, or offline from a local
// directory, a packaged .tgz or a ConfigMap holding the package.
//
// Releases are stored as Helm stores them (Secrets sh.helm.release.v1.*), so the helm CLI
// sees them. It must not import pkg/cli or pkg/controller.
package helm
