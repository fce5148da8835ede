package v1beta1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Application is a set of components with traits, policies and a workflow that delivers them.
//
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:subresource:status
// +kubebuilder:resource:categories={oam},shortName={app,velaapp}
// +kubebuilder:printcolumn:name="COMPONENT",type=string,JSONPath=`.spec.components[*].name`
// +kubebuilder:printcolumn:name="TYPE",type=string,JSONPath=`.spec.components[*].type`
// +kubebuilder:printcolumn:name="PHASE",type=string,JSONPath=`.status.status`
// +kubebuilder:printcolumn:name="HEALTHY",type=boolean,JSONPath=`.status.services[*].healthy`
// +kubebuilder:printcolumn:name="STATUS",type=string,JSONPath=`.status.services[*].message`
// +kubebuilder:printcolumn:name="AGE",type=date,JSONPath=`.metadata.creationTimestamp`
type Application struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	Spec ApplicationSpec `json:"spec,omitempty"`
	// Status is the observed state.
	Status AppStatus `json:"status,omitempty"`
}

// ApplicationList is a list of Applications.
//
// +kubebuilder:object:root=true
type ApplicationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the listed objects.
	Items []Application `json:"items"`
}

// ApplicationSpec is what an Application asks for.
type ApplicationSpec struct {
	// Components are the application's components, each rendered from a ComponentDefinition.
	Components []ApplicationComponent `json:"components"`

	// Policies apply to the whole application (topology, override, garbage-collect, …).
	// They are generated after components render and before the workflow runs.
	Policies []AppPolicy `json:"policies,omitempty"`

	// Workflow customises how the rendered resources are delivered. Without it the
	// controller derives default deploy or apply-component steps.
	Workflow *Workflow `json:"workflow,omitempty"`
}

// ApplicationComponent is one component of an Application.
type ApplicationComponent struct {
	// Name of the component, unique in the Application.
	Name string `json:"name"`
	// Type is the ComponentDefinition to render the component with.
	Type string `json:"type"`
	// ExternalRevision names the component revision to use.
	ExternalRevision string `json:"externalRevision,omitempty"`
	// Properties are the component's parameters.
	// +kubebuilder:pruning:PreserveUnknownFields
	Properties *runtime.RawExtension `json:"properties,omitempty"`

	// DependsOn names components that must be delivered first.
	DependsOn []string `json:"dependsOn,omitempty"`
	// Inputs are values read from other components' outputs.
	Inputs StepInputs `json:"inputs,omitempty"`
	// Outputs are values exported to other components.
	Outputs StepOutputs `json:"outputs,omitempty"`

	// Traits attach operational behaviour to the component, in order.
	Traits []ApplicationTrait `json:"traits,omitempty"`

	// Scopes maps scope types to scope instance names (legacy).
	// +kubebuilder:pruning:PreserveUnknownFields
	Scopes map[string]string `json:"scopes,omitempty"`

	// ReplicaKey is set by the replication policy on each replica of the component; it is
	// never read from or written to YAML.
	ReplicaKey string `json:"-"`
}

// ApplicationTrait is one trait of a component.
type ApplicationTrait struct {
	// Type is the TraitDefinition to apply.
	Type string `json:"type"`
	// Properties are the trait's parameters.
	// +kubebuilder:pruning:PreserveUnknownFields
	Properties *runtime.RawExtension `json:"properties,omitempty"`
}

// AppPolicy is one application policy.
type AppPolicy struct {
	// Name of the policy, unique in the Application.
	// +optional
	Name string `json:"name,omitempty"`
	// Type is the PolicyDefinition to apply.
	Type string `json:"type"`
	// Properties are the policy's parameters.
	// +kubebuilder:pruning:PreserveUnknownFields
	Properties *runtime.RawExtension `json:"properties,omitempty"`
}

// ApplicationPhase is the phase of an Application (status.status).
type ApplicationPhase string

// Values of ApplicationPhase, in the order a reconcile moves through them.
const (
	// ApplicationStarting: the reconcile is preparing.
	ApplicationStarting ApplicationPhase = "starting"
	// ApplicationRendering: components are being rendered.
	ApplicationRendering ApplicationPhase = "rendering"
	// ApplicationPolicyGenerating: policies are being generated. The wire value is
	// KubeVela's "generatingPolicy".
	ApplicationPolicyGenerating ApplicationPhase = "generatingPolicy"
	// ApplicationRunningWorkflow: the workflow is running.
	ApplicationRunningWorkflow ApplicationPhase = "runningWorkflow"
	// ApplicationWorkflowSuspending: the workflow is suspended.
	ApplicationWorkflowSuspending ApplicationPhase = "workflowSuspending"
	// ApplicationWorkflowTerminated: the workflow was terminated.
	ApplicationWorkflowTerminated ApplicationPhase = "workflowTerminated"
	// ApplicationWorkflowFailed: the workflow failed.
	ApplicationWorkflowFailed ApplicationPhase = "workflowFailed"
	// ApplicationRunning: everything was delivered and is healthy.
	ApplicationRunning ApplicationPhase = "running"
	// ApplicationUnhealthy: everything was delivered but something is not healthy.
	ApplicationUnhealthy ApplicationPhase = "unhealthy"
	// ApplicationDeleting: the Application is being deleted.
	ApplicationDeleting ApplicationPhase = "deleting"
)

// AppStatus is the observed state of an Application.
type AppStatus struct {
	// ConditionedStatus holds one condition per reconcile phase.
	ConditionedStatus `json:",inline"`

	// ObservedGeneration is the generation the controller last reconciled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Phase is the Application's phase.
	Phase ApplicationPhase `json:"status,omitempty"`

	// Components refers to the component objects created (legacy).
	Components []corev1.ObjectReference `json:"components,omitempty"`

	// Services are the per-component health reports.
	Services []ApplicationComponentStatus `json:"services,omitempty"`

	// Workflow is the state of the workflow run.
	Workflow *WorkflowStatus `json:"workflow,omitempty"`

	// LatestRevision is the latest ApplicationRevision.
	// +optional
	LatestRevision *Revision `json:"latestRevision,omitempty"`

	// AppliedResources are the resources the workflow applied.
	AppliedResources []ClusterObjectReference `json:"appliedResources,omitempty"`

	// PolicyStatus is the status of policies (deprecated; only envbinding wrote it).
	PolicyStatus []PolicyStatus `json:"policy,omitempty"`
}

// ApplicationComponentStatus is the health of one delivered component.
type ApplicationComponentStatus struct {
	// Name of the component.
	Name string `json:"name"`
	// Namespace the component was delivered to.
	Namespace string `json:"namespace,omitempty"`
	// Cluster the component was delivered to.
	Cluster string `json:"cluster,omitempty"`
	// Env the component belongs to.
	Env string `json:"env,omitempty"`
	// ReplicaKey is the key of the replica (replication policy) this entry reports on.
	ReplicaKey string `json:"replicaKey,omitempty"`
	// WorkloadDefinition is the apiVersion and kind of the component's workload.
	WorkloadDefinition WorkloadGVK `json:"workloadDefinition,omitempty"`
	// Healthy is the result of the definition's health policy.
	Healthy bool `json:"healthy"`
	// Details are the key/values of the definition's status.details.
	Details map[string]string `json:"details,omitempty"`
	// Message is the definition's custom status message.
	Message string `json:"message,omitempty"`
	// Traits are the health reports of the component's traits.
	Traits []ApplicationTraitStatus `json:"traits,omitempty"`
	// Scopes refers to the component's scopes (legacy).
	Scopes []corev1.ObjectReference `json:"scopes,omitempty"`
}

// ApplicationTraitStatus is the health of one trait.
type ApplicationTraitStatus struct {
	// Type of the trait.
	Type string `json:"type"`
	// Healthy is the result of the trait's health policy.
	Healthy bool `json:"healthy"`
	// Details are the key/values of the trait definition's status.details.
	Details map[string]string `json:"details,omitempty"`
	// Message is the trait's custom status message.
	Message string `json:"message,omitempty"`
}

// PolicyStatus is the status of one policy (deprecated).
type PolicyStatus struct {
	// Name of the policy.
	Name string `json:"name"`
	// Type of the policy.
	Type string `json:"type"`
	// Status is the policy's status document.
	// +kubebuilder:pruning:PreserveUnknownFields
	Status *runtime.RawExtension `json:"status,omitempty"`
}
