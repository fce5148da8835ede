package oam

// Labels stamped on every resource an Application renders and dispatches.
const (
	// LabelAppName is the name of the Application that owns the resource.
	LabelAppName = "app.oam.dev/name"
	// LabelAppNamespace is the namespace of the Application that owns the resource.
	LabelAppNamespace = "app.oam.dev/namespace"
	// LabelAppComponent is the name of the component the resource was rendered from.
	LabelAppComponent = "app.oam.dev/component"
	// LabelAppRevision is the name of the ApplicationRevision the resource was rendered for.
	LabelAppRevision = "app.oam.dev/appRevision"
	// LabelOAMResourceType says whether the resource is a workload or a trait output
	// (ResourceTypeWorkload or ResourceTypeTrait).
	LabelOAMResourceType = "app.oam.dev/resourceType"
	// LabelAppCluster is the cluster the resource was dispatched to.
	LabelAppCluster = "app.oam.dev/cluster"
	// LabelAppUID is the UID of the owning Application.
	LabelAppUID = "app.oam.dev/uid"
	// LabelAppComponentRevision is the component revision name.
	LabelAppComponentRevision = "app.oam.dev/revision"
	// LabelAppRevisionHash is the hash of the ApplicationRevision spec.
	LabelAppRevisionHash = "app.oam.dev/app-revision-hash"
	// LabelComponentRevisionHash is the hash of a component's rendered spec.
	LabelComponentRevisionHash = "app.oam.dev/component-revision-hash"
	// LabelReplicaKey is the replica key a replication policy assigned to the component.
	LabelReplicaKey = "app.oam.dev/replicaKey"
	// LabelAppEnv is the environment name (envbinding) of the resource.
	LabelAppEnv = "envbinding.oam.dev/env"

	// WorkloadTypeLabel is the ComponentDefinition name (component type) of a workload.
	WorkloadTypeLabel = "workload.oam.dev/type"
	// TraitTypeLabel is the TraitDefinition name (trait type) of a trait output.
	TraitTypeLabel = "trait.oam.dev/type"
	// TraitResource is the key of the trait output in the template's outputs map.
	TraitResource = "trait.oam.dev/resource"
)

// Values of LabelOAMResourceType.
const (
	// ResourceTypeWorkload marks the primary output of a component.
	ResourceTypeWorkload = "WORKLOAD"
	// ResourceTypeTrait marks an output produced by a trait (or an auxiliary component output).
	ResourceTypeTrait = "TRAIT"
)

// Labels on definitions and their revisions.
const (
	// LabelComponentDefinitionName is the ComponentDefinition a DefinitionRevision belongs to.
	LabelComponentDefinitionName = "componentdefinition.oam.dev/name"
	// LabelTraitDefinitionName is the TraitDefinition a DefinitionRevision belongs to.
	LabelTraitDefinitionName = "trait.oam.dev/name"
	// LabelPolicyDefinitionName is the PolicyDefinition a DefinitionRevision belongs to.
	LabelPolicyDefinitionName = "policydefinition.oam.dev/name"
	// LabelWorkflowStepDefinitionName is the WorkflowStepDefinition a DefinitionRevision belongs to.
	LabelWorkflowStepDefinitionName = "workflowstepdefinition.oam.dev/name"
	// LabelManageWorkloadTrait marks a trait that manages its workload's lifecycle.
	LabelManageWorkloadTrait = "trait.oam.dev/manage-workload"
	// LabelControllerName names the controller that created a resource.
	LabelControllerName = "controller.oam.dev/name"
)

// Labels on namespaces, configs and addons.
const (
	// LabelAddonName is the addon an object was installed by.
	LabelAddonName = "addons.oam.dev/name"
	// LabelAddonVersion is the version of the installed addon.
	LabelAddonVersion = "addons.oam.dev/version"
	// LabelAddonRegistry is the registry an addon was installed from.
	LabelAddonRegistry = "addons.oam.dev/registry"
	// LabelConfigType is the type of a config Secret (export2config, config templates).
	LabelConfigType = "config.oam.dev/type"
	// LabelNamespaceOfEnvName is the env name a namespace belongs to.
	LabelNamespaceOfEnvName = "namespace.oam.dev/env"
	// LabelControlPlaneNamespaceUsage marks how a namespace is used in the control plane.
	LabelControlPlaneNamespaceUsage = "usage.oam.dev/control-plane"
	// LabelRuntimeNamespaceUsage marks how a namespace is used in a runtime cluster.
	LabelRuntimeNamespaceUsage = "usage.oam.dev/runtime"
	// LabelProject is the project a resource belongs to.
	LabelProject = "core.oam.dev/project"
)
