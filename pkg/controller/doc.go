// Package controller owns the Application controller: a controller-runtime
// reconciler that turns an Application into running resources with KubeVela's
// semantics, and its packaging as an embedded velad controller (NewEmbedded)
// or a standalone manager (Setup).
//
// Reconcile reads as a list of phases, each in its own file: parse.go
// (definitions from the cluster through loader.go), revision.go
// (ApplicationRevision <app>-v<N>), render.go, workflow.go (pkg/workflow with
// dispatch.go applying and tracking resources), health.go, status.go, and
// finalize.go (deleting what the Application created).
//
// controller must not import pkg/cli; the command layer wires it.
package controller
