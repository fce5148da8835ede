// Package v1beta1 holds the Go types of the core.oam.dev/v1beta1 API group: Application,
// ComponentDefinition, TraitDefinition, PolicyDefinition, WorkflowStepDefinition,
// ApplicationRevision, DefinitionRevision and ResourceTracker, with the shared types they
// are built from (components, traits, policies, workflow steps, statuses, conditions).
//
// Field names, JSON tags, optionality and defaults match KubeVela's, so KubeVela YAML decodes
// into these types unchanged and objects written by velad read back in vela tooling.
// Component, trait, policy and step properties are *runtime.RawExtension and kept verbatim.
//
// The package owns data types, their scheme registration and small accessors on them. It
// does no rendering, validation of properties or reconciling, and must import nothing from
// velad. zz_generated.deepcopy.go and the CRDs in embedded/crds are generated from the
// kubebuilder markers here by hack/gen-apis.sh.
//
// +kubebuilder:object:generate=true
// +groupName=core.oam.dev
package v1beta1
