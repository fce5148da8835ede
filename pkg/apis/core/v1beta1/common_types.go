package v1beta1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Schematic says how a capability (component, trait, policy or workflow step) is encapsulated.
// Exactly one of its members is normally set; velad renders CUE and KUBE schematics.
type Schematic struct {
	// KUBE encapsulates a raw Kubernetes object with parameters patched into field paths.
	KUBE *Kube `json:"kube,omitempty"`

	// CUE encapsulates the capability as a CUE template.
	CUE *CUE `json:"cue,omitempty"`

	// HELM encapsulates a Helm release (accepted for compatibility, not rendered by velad).
	HELM *Helm `json:"helm,omitempty"`

	// Terraform encapsulates a Terraform module (accepted for compatibility, not rendered by velad).
	Terraform *Terraform `json:"terraform,omitempty"`
}

// CUE is a capability written as a CUE template.
type CUE struct {
	// Template is the CUE source declaring parameter, output/outputs, patch and friends.
	Template string `json:"template"`
}

// Kube is a capability written as a raw Kubernetes object plus parameters.
type Kube struct {
	// Template is the Kubernetes object to render.
	// +kubebuilder:pruning:PreserveUnknownFields
	Template runtime.RawExtension `json:"template"`

	// Parameters are the values users may set and the fields of Template they overwrite.
	Parameters []KubeParameter `json:"parameters,omitempty"`
}

// ParameterValueType is the data type of a KubeParameter.
type ParameterValueType string

// Values of ParameterValueType.
const (
	// StringType is a string parameter.
	StringType ParameterValueType = "string"
	// NumberType is a numeric parameter.
	NumberType ParameterValueType = "number"
	// BooleanType is a boolean parameter.
	BooleanType ParameterValueType = "boolean"
)

// KubeParameter is one configurable value of a Kube schematic.
type KubeParameter struct {
	// Name of the parameter.
	Name string `json:"name"`

	// ValueType is the type of the value: string, number or boolean.
	// +kubebuilder:validation:Enum:=string;number;boolean
	ValueType ParameterValueType `json:"type"`

	// FieldPaths are the fields of the template (JSON paths without a leading dot, such as
	// spec.replicas) the value is written to.
	FieldPaths []string `json:"fieldPaths"`

	// Required says whether an Application must set the parameter.
	// +kubebuilder:default:=false
	Required *bool `json:"required,omitempty"`

	// Description of the parameter.
	Description *string `json:"description,omitempty"`
}

// Helm is a capability delivered as a Helm release.
type Helm struct {
	// Release is the Helm release object.
	// +kubebuilder:pruning:PreserveUnknownFields
	Release runtime.RawExtension `json:"release"`

	// Repository is the Helm repository object.
	// +kubebuilder:pruning:PreserveUnknownFields
	Repository runtime.RawExtension `json:"repository"`
}

// Terraform is a capability delivered as a Terraform configuration.
type Terraform struct {
	// Configuration is the Terraform source (HCL, JSON or a remote git URL).
	Configuration string `json:"configuration"`

	// Type of Configuration: hcl, json or remote.
	// +kubebuilder:default:=hcl
	// +kubebuilder:validation:Enum:=hcl;json;remote
	Type string `json:"type,omitempty"`

	// Path is the sub-directory of a remote repository.
	Path string `json:"path,omitempty"`

	// WriteConnectionSecretToReference is the Secret that receives the connection details.
	// +optional
	WriteConnectionSecretToReference *corev1.SecretReference `json:"writeConnectionSecretToRef,omitempty"`

	// ProviderReference is the Terraform provider to use.
	ProviderReference *corev1.SecretReference `json:"providerRef,omitempty"`

	// DeleteResource says whether cloud resources are deleted with the object.
	// +kubebuilder:default:=true
	DeleteResource bool `json:"deleteResource,omitempty"`

	// Region overrides the provider's region.
	Region string `json:"customRegion,omitempty"`

	// GitCredentialsSecretReference is the Secret holding git credentials.
	GitCredentialsSecretReference *corev1.SecretReference `json:"gitCredentialsSecretReference,omitempty"`
}

// WorkloadTypeDescriptor names the workload a ComponentDefinition produces.
type WorkloadTypeDescriptor struct {
	// Type refers to a workload type by name (for example "autodetects.core.oam.dev").
	Type string `json:"type,omitempty"`
	// Definition is the apiVersion and kind of the workload; exclusive with Type.
	Definition WorkloadGVK `json:"definition,omitempty"`
}

// WorkloadGVK is the apiVersion and kind of a workload.
type WorkloadGVK struct {
	// APIVersion of the workload, such as apps/v1.
	APIVersion string `json:"apiVersion"`
	// Kind of the workload, such as Deployment.
	Kind string `json:"kind"`
}

// DefinitionReference refers to a CustomResourceDefinition by name.
type DefinitionReference struct {
	// Name of the CustomResourceDefinition.
	Name string `json:"name"`

	// Version of the CRD to use; the first one if empty.
	Version string `json:"version,omitempty"`
}

// ChildResourceKind is a kind of child resource a workload creates, with a selector.
type ChildResourceKind struct {
	// APIVersion of the child resource.
	APIVersion string `json:"apiVersion"`

	// Kind of the child resource.
	Kind string `json:"kind"`

	// Selector selects the child resources exposed to traits.
	Selector map[string]string `json:"selector,omitempty"`
}

// Status is the health and status write-back of a definition, written in CUE.
type Status struct {
	// CustomStatus is CUE that sets `message`, shown as the component's or trait's status.
	// +optional
	CustomStatus string `json:"customStatus,omitempty"`
	// HealthPolicy is CUE that sets the boolean `isHealth`.
	// +optional
	HealthPolicy string `json:"healthPolicy,omitempty"`
	// Details is CUE whose string fields are reported as key/value status details.
	// +optional
	Details string `json:"details,omitempty"`
}

// Revision names a revision and its number.
type Revision struct {
	// Name of the revision object.
	Name string `json:"name"`
	// Revision is the revision number.
	Revision int64 `json:"revision"`

	// RevisionHash is the hash of the revision's spec.
	RevisionHash string `json:"revisionHash,omitempty"`
}

// DefinitionType is the kind of definition a DefinitionRevision snapshots.
// +kubebuilder:validation:Enum=Component;Trait;Policy;WorkflowStep
type DefinitionType string

// Values of DefinitionType.
const (
	// ComponentType is a ComponentDefinition revision.
	ComponentType DefinitionType = "Component"
	// TraitType is a TraitDefinition revision.
	TraitType DefinitionType = "Trait"
	// PolicyType is a PolicyDefinition revision.
	PolicyType DefinitionType = "Policy"
	// WorkflowStepType is a WorkflowStepDefinition revision.
	WorkflowStepType DefinitionType = "WorkflowStep"
)

// Creators recorded in ClusterObjectReference.Creator.
const (
	// PolicyResourceCreator marks a resource created by a policy.
	PolicyResourceCreator = "policy"
	// WorkflowResourceCreator marks a resource created by a workflow step.
	WorkflowResourceCreator = "workflow"
	// DebugResourceCreator marks a resource created for debugging.
	DebugResourceCreator = "debug"
)

// ClusterObjectReference refers to an object in a (possibly remote) cluster.
type ClusterObjectReference struct {
	// Cluster is the cluster name; empty means the local cluster.
	Cluster string `json:"cluster,omitempty"`
	// Creator is what created the object: policy, workflow or debug.
	Creator string `json:"creator,omitempty"`
	// ObjectReference identifies the object.
	corev1.ObjectReference `json:",inline"`
}

// OAMObjectReference places an object in the application model.
type OAMObjectReference struct {
	// Component the object was rendered from.
	Component string `json:"component,omitempty"`
	// Trait that rendered the object, if any.
	Trait string `json:"trait,omitempty"`
	// Env the object belongs to, if any.
	Env string `json:"env,omitempty"`
}

// ReferredObject is a Kubernetes object used by a ref-objects component.
type ReferredObject struct {
	// RawExtension holds the object.
	// +kubebuilder:validation:EmbeddedResource
	// +kubebuilder:pruning:PreserveUnknownFields
	runtime.RawExtension `json:",inline"`
}

// CompressedText is a compressed, base64-encoded payload: KubeVela's format for storing
// ApplicationRevisions and ResourceTrackers compressed (compression.go). velad reads it
// always and writes it when the controller's compression options ask for it.
type CompressedText struct {
	// Type is the compression algorithm; empty means uncompressed.
	Type string `json:"type,omitempty"`
	// Data is the base64 payload.
	Data string `json:"data,omitempty"`
}
