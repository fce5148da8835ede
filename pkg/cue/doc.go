// Package cue owns velad's CUE evaluation: it compiles X-Definition templates
// (spec.schematic.cue.template), fills them with a parameter and the KubeVela
// context, and turns the result into plain Go objects (output, outputs, patch,
// patchOutputs, errs). It also applies trait patches with KubeVela's patch
// strategies (+patchKey, +patchStrategy) and evaluates status templates
// (healthPolicy, customStatus, details).
//
// The Engine is built with New and passed in; it is safe for concurrent use
// (one CUE runtime per worker), caches compiled templates by content hash and
// remembers render results by their inputs (WithRenderCache). Importable CUE packages — the
// generated "kube/<group>/<version>" schemas and the "vela/..." provider
// packages registered through pkg/cue/provider — are resolved by the Engine.
//
// This package renders without a cluster: it must never import pkg/server,
// pkg/controller or any client that talks to an API server.
package cue
