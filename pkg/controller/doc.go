// Package controller owns the Application controller: a controller-runtime
// reconciler that turns an Application into running resources with KubeVela's
// semantics, and its packaging as an embedded velad controller (NewEmbedded)
// or a standalone manager (Setup).
//
// Reconcile (reconciler.go) reads as a list of phases, each in its own file:
// parse.go (definitions from the cluster through loader.go), revision.go
// (ApplicationRevision <app>-v<N>; publish.go pins the published revision under
// app.oam.dev/publishVersion and performs rollbacks, revisions.go records each
// finished workflow in its revision and keeps at most RevisionLimit), render.go, workflow.go (pkg/workflow, with
// dispatch.go applying by server-side apply after ownership.go checked who
// owns each object and tracker.go recorded it in the ResourceTrackers),
// statekeep.go (drift repair from the recorded manifests, and gc.go deleting
// what older revisions created and the current one does not), health.go,
// status.go, and finalize.go (deleting what the Application created).
// policy_rules.go reads the resource policies those phases obey
// (garbage-collect, apply-once, read-only, take-over, shared-resource,
// resource-update). watch.go re-queues an Application when one of its
// workloads becomes ready or unready, and selfwrites.go keeps the controller's
// own Application writes from re-queueing it; metrics.go feeds /metrics.
//
// controller must not import pkg/cli; the command layer wires it.
package controller
