// Package apis is the root of velad's public API types: the Kubernetes resources velad
// serves and the label vocabulary it stamps on what it renders.
//
//   - core/v1beta1: the core.oam.dev/v1beta1 kinds (Application, the four X-Definitions,
//     ApplicationRevision, DefinitionRevision, ResourceTracker), wire-compatible with KubeVela.
//   - oam: the well-known label and annotation keys (app.oam.dev/name, workload.oam.dev/type, …).
//
// The CRD manifests for core/v1beta1 live in embedded/crds and the deep-copy functions in
// core/v1beta1/zz_generated.deepcopy.go; both are generated, never edited by hand. After
// changing a type or a kubebuilder marker, regenerate them from the repository root with
//
//	hack/gen-apis.sh
//
// which runs controller-gen (sigs.k8s.io/controller-tools, pinned in the script).
//
// The packages under apis hold data types only. They import nothing from velad and nothing
// heavier than k8s.io/api, k8s.io/apimachinery and controller-runtime's scheme builder, so
// that renderers, controllers and the CLI can all depend on them.
package apis
