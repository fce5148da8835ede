package v1beta1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// Group and Version of this API.
const (
	// Group is the API group of every kind in this package.
	Group = "core.oam.dev"
	// Version is the API version of every kind in this package.
	Version = "v1beta1"
)

var (
	// GroupVersion is core.oam.dev/v1beta1.
	GroupVersion = schema.GroupVersion{Group: Group, Version: Version}

	// SchemeGroupVersion is GroupVersion under the name client-go helpers expect.
	SchemeGroupVersion = GroupVersion

	// SchemeBuilder registers this package's kinds with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds every kind of this package to a runtime.Scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// Kind names.
const (
	// ApplicationKind is the kind of Application.
	ApplicationKind = "Application"
	// ComponentDefinitionKind is the kind of ComponentDefinition.
	ComponentDefinitionKind = "ComponentDefinition"
	// TraitDefinitionKind is the kind of TraitDefinition.
	TraitDefinitionKind = "TraitDefinition"
	// PolicyDefinitionKind is the kind of PolicyDefinition.
	PolicyDefinitionKind = "PolicyDefinition"
	// WorkflowStepDefinitionKind is the kind of WorkflowStepDefinition.
	WorkflowStepDefinitionKind = "WorkflowStepDefinition"
	// ApplicationRevisionKind is the kind of ApplicationRevision.
	ApplicationRevisionKind = "ApplicationRevision"
	// DefinitionRevisionKind is the kind of DefinitionRevision.
	DefinitionRevisionKind = "DefinitionRevision"
	// ResourceTrackerKind is the kind of ResourceTracker.
	ResourceTrackerKind = "ResourceTracker"
)

// Group-version-kinds of the kinds in this package.
var (
	// ApplicationGroupVersionKind is the GVK of Application.
	ApplicationGroupVersionKind = GroupVersion.WithKind(ApplicationKind)
	// ComponentDefinitionGroupVersionKind is the GVK of ComponentDefinition.
	ComponentDefinitionGroupVersionKind = GroupVersion.WithKind(ComponentDefinitionKind)
	// TraitDefinitionGroupVersionKind is the GVK of TraitDefinition.
	TraitDefinitionGroupVersionKind = GroupVersion.WithKind(TraitDefinitionKind)
	// PolicyDefinitionGroupVersionKind is the GVK of PolicyDefinition.
	PolicyDefinitionGroupVersionKind = GroupVersion.WithKind(PolicyDefinitionKind)
	// WorkflowStepDefinitionGroupVersionKind is the GVK of WorkflowStepDefinition.
	WorkflowStepDefinitionGroupVersionKind = GroupVersion.WithKind(WorkflowStepDefinitionKind)
	// ApplicationRevisionGroupVersionKind is the GVK of ApplicationRevision.
	ApplicationRevisionGroupVersionKind = GroupVersion.WithKind(ApplicationRevisionKind)
	// DefinitionRevisionGroupVersionKind is the GVK of DefinitionRevision.
	DefinitionRevisionGroupVersionKind = GroupVersion.WithKind(DefinitionRevisionKind)
	// ResourceTrackerGroupVersionKind is the GVK of ResourceTracker.
	ResourceTrackerGroupVersionKind = GroupVersion.WithKind(ResourceTrackerKind)
)

// Resource returns the GroupResource of a resource (plural name) in this group.
func Resource(resource string) schema.GroupResource {
	return GroupVersion.WithResource(resource).GroupResource()
}

func init() {
	SchemeBuilder.Register(
		&Application{}, &ApplicationList{},
		&ComponentDefinition{}, &ComponentDefinitionList{},
		&TraitDefinition{}, &TraitDefinitionList{},
		&PolicyDefinition{}, &PolicyDefinitionList{},
		&WorkflowStepDefinition{}, &WorkflowStepDefinitionList{},
		&ApplicationRevision{}, &ApplicationRevisionList{},
		&DefinitionRevision{}, &DefinitionRevisionList{},
		&ResourceTracker{}, &ResourceTrackerList{},
	)
}
