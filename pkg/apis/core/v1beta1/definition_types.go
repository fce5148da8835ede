package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// DefinitionStatus is the status shared by the four X-Definitions.
type DefinitionStatus struct {
	// ConditionedStatus reports whether the definition was accepted.
	ConditionedStatus `json:",inline"`
	// ConfigMapRef names the ConfigMap holding the OpenAPI v3 schema of the parameters.
	ConfigMapRef string `json:"configMapRef,omitempty"`
	// LatestRevision is the definition's latest DefinitionRevision.
	// +optional
	LatestRevision *Revision `json:"latestRevision,omitempty"`
}

// ComponentDefinition declares a component type: the workload it renders and how.
//
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={oam},shortName=comp
// +kubebuilder:printcolumn:name="WORKLOAD-KIND",type=string,JSONPath=".spec.workload.definition.kind"
// +kubebuilder:printcolumn:name="DESCRIPTION",type=string,JSONPath=".metadata.annotations.definition\\.oam\\.dev/description"
type ComponentDefinition struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	Spec ComponentDefinitionSpec `json:"spec,omitempty"`
	// Status is the observed state.
	Status DefinitionStatus `json:"status,omitempty"`
}

// ComponentDefinitionList is a list of ComponentDefinitions.
//
// +kubebuilder:object:root=true
type ComponentDefinitionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the listed objects.
	Items []ComponentDefinition `json:"items"`
}

// ComponentDefinitionSpec is the body of a ComponentDefinition.
type ComponentDefinitionSpec struct {
	// Workload is the workload type the component renders.
	Workload WorkloadTypeDescriptor `json:"workload"`

	// ChildResourceKinds are the kinds of child resources the workload creates.
	ChildResourceKinds []ChildResourceKind `json:"childResourceKinds,omitempty"`

	// RevisionLabel is the label on the workload's pods that traits may select revisions by.
	// +optional
	RevisionLabel string `json:"revisionLabel,omitempty"`

	// PodSpecPath is the field path of the workload's pod spec, if it has one.
	// +optional
	PodSpecPath string `json:"podSpecPath,omitempty"`

	// Status is the CUE health policy and status message of the workload.
	// +optional
	Status *Status `json:"status,omitempty"`

	// Schematic is the template the component is rendered from.
	// +optional
	Schematic *Schematic `json:"schematic,omitempty"`

	// Extension is free-form data for platform builders.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	Extension *runtime.RawExtension `json:"extension,omitempty"`
}

// TraitDefinition declares a trait type: what it patches or adds to a component.
//
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={oam},shortName=trait
// +kubebuilder:printcolumn:name="APPLIES-TO",type=string,JSONPath=".spec.appliesToWorkloads"
// +kubebuilder:printcolumn:name="DESCRIPTION",type=string,JSONPath=".metadata.annotations.definition\\.oam\\.dev/description"
type TraitDefinition struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	Spec TraitDefinitionSpec `json:"spec,omitempty"`
	// Status is the observed state.
	Status DefinitionStatus `json:"status,omitempty"`
}

// TraitDefinitionList is a list of TraitDefinitions.
//
// +kubebuilder:object:root=true
type TraitDefinitionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the listed objects.
	Items []TraitDefinition `json:"items"`
}

// TraitDefinitionSpec is the body of a TraitDefinition.
type TraitDefinitionSpec struct {
	// Reference is the CRD of the trait's kind (legacy).
	Reference DefinitionReference `json:"definitionRef,omitempty"`

	// RevisionEnabled says whether the trait is aware of component revisions.
	// +optional
	RevisionEnabled bool `json:"revisionEnabled,omitempty"`

	// WorkloadRefPath is where the trait's output accepts a workloadRef object.
	// +optional
	WorkloadRefPath string `json:"workloadRefPath,omitempty"`

	// PodDisruptive says whether changing the trait restarts the workload's pods.
	// +optional
	PodDisruptive bool `json:"podDisruptive,omitempty"`

	// AppliesToWorkloads lists the workloads the trait applies to: definition names,
	// resource.group names, group/version kinds or "*". Empty means all.
	// +optional
	AppliesToWorkloads []string `json:"appliesToWorkloads,omitempty"`

	// ConflictsWith lists traits that cannot be applied together with this one: definition
	// names, CRD names, "*.group" or "labelSelector:k=v".
	// +optional
	ConflictsWith []string `json:"conflictsWith,omitempty"`

	// Schematic is the template the trait is rendered from.
	// +optional
	Schematic *Schematic `json:"schematic,omitempty"`

	// Status is the CUE health policy and status message of the trait.
	// +optional
	Status *Status `json:"status,omitempty"`

	// Extension is free-form data for platform builders.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	Extension *runtime.RawExtension `json:"extension,omitempty"`

	// ManageWorkload says the trait creates and manages the workload itself.
	// +optional
	ManageWorkload bool `json:"manageWorkload,omitempty"`

	// SkipRevisionAffect keeps the trait out of the ApplicationRevision hash, so changing it
	// does not produce a new revision.
	// +optional
	SkipRevisionAffect bool `json:"skipRevisionAffect,omitempty"`

	// ControlPlaneOnly dispatches the trait's outputs to the control plane only.
	// +optional
	ControlPlaneOnly bool `json:"controlPlaneOnly,omitempty"`

	// Stage is when the trait's outputs are dispatched relative to the workload.
	// +optional
	Stage StageType `json:"stage,omitempty"`
}

// StageType is when trait outputs are dispatched.
type StageType string

// Values of StageType.
const (
	// PreDispatch dispatches before the workload.
	PreDispatch StageType = "PreDispatch"
	// DefaultDispatch dispatches with the workload.
	DefaultDispatch StageType = "DefaultDispatch"
	// PostDispatch dispatches after the workload is healthy.
	PostDispatch StageType = "PostDispatch"
)

// PolicyDefinition declares an application policy type.
//
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={oam},shortName={def-policy,policy}
type PolicyDefinition struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	Spec PolicyDefinitionSpec `json:"spec,omitempty"`
	// Status is the observed state.
	Status DefinitionStatus `json:"status,omitempty"`
}

// PolicyDefinitionList is a list of PolicyDefinitions.
//
// +kubebuilder:object:root=true
type PolicyDefinitionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the listed objects.
	Items []PolicyDefinition `json:"items"`
}

// PolicyDefinitionSpec is the body of a PolicyDefinition.
type PolicyDefinitionSpec struct {
	// Reference is the CRD of the policy's kind (legacy).
	Reference DefinitionReference `json:"definitionRef,omitempty"`

	// Schematic is the template the policy is rendered from (CUE only).
	// +optional
	Schematic *Schematic `json:"schematic,omitempty"`

	// ManageHealthCheck says the policy does the health checking instead of the controller.
	ManageHealthCheck bool `json:"manageHealthCheck,omitempty"`
}

// WorkflowStepDefinition declares a workflow step type.
//
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={oam},shortName=workflowstep
type WorkflowStepDefinition struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	Spec WorkflowStepDefinitionSpec `json:"spec,omitempty"`
	// Status is the observed state.
	Status DefinitionStatus `json:"status,omitempty"`
}

// WorkflowStepDefinitionList is a list of WorkflowStepDefinitions.
//
// +kubebuilder:object:root=true
type WorkflowStepDefinitionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the listed objects.
	Items []WorkflowStepDefinition `json:"items"`
}

// WorkflowStepDefinitionSpec is the body of a WorkflowStepDefinition.
type WorkflowStepDefinitionSpec struct {
	// Reference is the CRD of the step's kind (legacy).
	Reference DefinitionReference `json:"definitionRef,omitempty"`

	// Schematic is the template the step runs (CUE only).
	// +optional
	Schematic *Schematic `json:"schematic,omitempty"`
}
