package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ApplicationRevision is an immutable snapshot of an Application and every definition it
// used, named <app>-v<N>.
//
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories={oam},shortName=apprev
// +kubebuilder:printcolumn:name="AGE",type=date,JSONPath=".metadata.creationTimestamp"
// +kubebuilder:printcolumn:name="PUBLISH_VERSION",type=string,JSONPath=`.metadata.annotations['app\.oam\.dev\/publishVersion']`
// +kubebuilder:printcolumn:name="SUCCEEDED",type=string,JSONPath=`.status.succeeded`
type ApplicationRevision struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	Spec ApplicationRevisionSpec `json:"spec,omitempty"`
	// Status is the observed state.
	Status ApplicationRevisionStatus `json:"status,omitempty"`
}

// ApplicationRevisionList is a list of ApplicationRevisions.
//
// +kubebuilder:object:root=true
type ApplicationRevisionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the listed objects.
	Items []ApplicationRevision `json:"items"`
}

// ApplicationRevisionSpec is the snapshot an ApplicationRevision holds.
type ApplicationRevisionSpec struct {
	// ApplicationRevisionCompressibleFields are the snapshot itself.
	ApplicationRevisionCompressibleFields `json:",inline"`

	// Compression holds the snapshot when it is stored compressed (Type zstd or gzip):
	// marshalling compresses the fields into Data, unmarshalling restores them and keeps
	// only Type.
	Compression CompressedText `json:"compression,omitempty"`
}

// ApplicationRevisionCompressibleFields are the snapshotted Application and definitions.
//
// The snapshots are schemaless in the CRD: a nested object's metadata would otherwise be
// pruned to {} by the apiserver, and they are only ever written from these Go types.
type ApplicationRevisionCompressibleFields struct {
	// Application is the Application as it was when the revision was made.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	Application Application `json:"application"`

	// ComponentDefinitions are the ComponentDefinitions used, by type name.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	ComponentDefinitions map[string]*ComponentDefinition `json:"componentDefinitions,omitempty"`

	// TraitDefinitions are the TraitDefinitions used, by type name.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	TraitDefinitions map[string]*TraitDefinition `json:"traitDefinitions,omitempty"`

	// PolicyDefinitions are the PolicyDefinitions used, by type name.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	PolicyDefinitions map[string]PolicyDefinition `json:"policyDefinitions,omitempty"`

	// WorkflowStepDefinitions are the WorkflowStepDefinitions used, by type name.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	WorkflowStepDefinitions map[string]*WorkflowStepDefinition `json:"workflowStepDefinitions,omitempty"`

	// ReferredObjects are the objects ref-objects components referred to.
	// +kubebuilder:pruning:PreserveUnknownFields
	ReferredObjects []ReferredObject `json:"referredObjects,omitempty"`
}

// ApplicationRevisionStatus is the outcome of delivering an ApplicationRevision.
type ApplicationRevisionStatus struct {
	// Succeeded is true once the revision's workflow finished successfully.
	Succeeded bool `json:"succeeded"`
	// Workflow is the final state of the revision's workflow run.
	Workflow *WorkflowStatus `json:"workflow,omitempty"`
	// WorkflowContext is the workflow context data recorded for the revision.
	WorkflowContext map[string]string `json:"workflowContext,omitempty"`
}

// DefinitionRevision is an immutable snapshot of one version of an X-Definition.
//
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:scope=Namespaced,categories={oam},shortName={defrev,comprev}
// +kubebuilder:printcolumn:name="REVISION",type=integer,JSONPath=".spec.revision"
// +kubebuilder:printcolumn:name="HASH",type=string,JSONPath=".spec.revisionHash"
// +kubebuilder:printcolumn:name="TYPE",type=string,JSONPath=".spec.definitionType"
type DefinitionRevision struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	Spec DefinitionRevisionSpec `json:"spec,omitempty"`
}

// DefinitionRevisionList is a list of DefinitionRevisions.
//
// +kubebuilder:object:root=true
type DefinitionRevisionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the listed objects.
	Items []DefinitionRevision `json:"items"`
}

// DefinitionRevisionSpec is the snapshot a DefinitionRevision holds; only the member that
// matches DefinitionType is set. Snapshots are schemaless in the CRD, as in
// ApplicationRevisionCompressibleFields.
type DefinitionRevisionSpec struct {
	// Revision is the revision number.
	Revision int64 `json:"revision"`

	// RevisionHash is the hash of the snapshotted definition's spec.
	RevisionHash string `json:"revisionHash"`

	// DefinitionType says which kind of definition is snapshotted.
	DefinitionType DefinitionType `json:"definitionType"`

	// ComponentDefinition is the snapshot of a ComponentDefinition.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	ComponentDefinition ComponentDefinition `json:"componentDefinition,omitempty"`

	// TraitDefinition is the snapshot of a TraitDefinition.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	TraitDefinition TraitDefinition `json:"traitDefinition,omitempty"`

	// PolicyDefinition is the snapshot of a PolicyDefinition.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	PolicyDefinition PolicyDefinition `json:"policyDefinition,omitempty"`

	// WorkflowStepDefinition is the snapshot of a WorkflowStepDefinition.
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	WorkflowStepDefinition WorkflowStepDefinition `json:"workflowStepDefinition,omitempty"`
}
