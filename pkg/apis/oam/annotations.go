package oam

// Annotations read from or written to Applications.
const (
	// AnnotationPublishVersion pins the Application's published version: a new workflow run
	// starts only when it changes.
	AnnotationPublishVersion = "app.oam.dev/publishVersion"
	// AnnotationRollbackTo names the ApplicationRevision `vela workflow rollback` returns to
	// (velad): the controller makes it the latest revision, delivers it again and removes it.
	AnnotationRollbackTo = "app.oam.dev/rollback-to"
	// AnnotationAutoUpdate makes the Application pick up new definition revisions automatically.
	AnnotationAutoUpdate = "app.oam.dev/autoUpdate"
	// AnnotationAppSharedBy lists the Applications sharing a resource (shared-resource policy).
	AnnotationAppSharedBy = "app.oam.dev/shared-by"
	// AnnotationWorkflowName selects the workflow to run.
	AnnotationWorkflowName = "app.oam.dev/workflowName"
	// AnnotationDeployVersion records the deploy version number.
	AnnotationDeployVersion = "app.oam.dev/deployVersion"
	// AnnotationAppGeneration records the Application generation a resource was rendered from.
	AnnotationAppGeneration = "app.oam.dev/generation"
	// AnnotationAppRevision marks an object as an application revision.
	AnnotationAppRevision = "app.oam.dev/app-revision"
	// AnnotationLastAppliedConfig records the last applied configuration of a dispatched
	// resource, used for three-way merges.
	AnnotationLastAppliedConfig = "app.oam.dev/last-applied-configuration"
	// AnnotationLastAppliedTime records when a resource was last applied.
	AnnotationLastAppliedTime = "app.oam.dev/last-applied-time"
	// AnnotationSkipGC keeps a resource when the Application no longer renders it.
	AnnotationSkipGC = "app.oam.dev/skipGC"
	// AnnotationKubeVelaVersion records the controller version that handled an object.
	AnnotationKubeVelaVersion = "oam.dev/kubevela-version"
	// AnnotationControllerRequirement is the controller version an object needs.
	AnnotationControllerRequirement = "app.oam.dev/controller-version-require"
	// AnnotationApplicationServiceAccountName is the ServiceAccount used to apply the
	// Application's resources.
	AnnotationApplicationServiceAccountName = "app.oam.dev/service-account-name"
	// AnnotationApplicationUsername is the user the Application's resources are applied as.
	AnnotationApplicationUsername = "app.oam.dev/username"
	// AnnotationApplicationGroup is the group the Application's resources are applied as.
	AnnotationApplicationGroup = "app.oam.dev/group"
	// AnnotationFilterAnnotationKeys lists (comma separated) Application annotations that are
	// not passed to rendered resources.
	AnnotationFilterAnnotationKeys = "filter.oam.dev/annotation-keys"
	// AnnotationFilterLabelKeys lists (comma separated) Application labels that are not passed
	// to rendered resources.
	AnnotationFilterLabelKeys = "filter.oam.dev/label-keys"
	// AnnotationResourceURL records where a dispatched object came from.
	AnnotationResourceURL = "app.oam.dev/resource-url"
	// AnnotationWorkloadGVK is the GVK of the workload a trait manages.
	AnnotationWorkloadGVK = "trait.oam.dev/workload-gvk"
	// AnnotationWorkloadName is the name of the workload a trait manages.
	AnnotationWorkloadName = "trait.oam.dev/workload-name"
	// AnnotationSkipResume marks a resource that does not need to be resumed.
	AnnotationSkipResume = "controller.core.oam.dev/skip-resume"
	// AnnotationLastAppliedConfiguration is kubectl's client-side-apply annotation.
	AnnotationLastAppliedConfiguration = "kubectl.kubernetes.io/last-applied-configuration"
)

// Annotations on X-Definitions.
const (
	// AnnotationDefinitionDescription is the human description shown by `vela def list`
	// and in the DESCRIPTION printer column.
	AnnotationDefinitionDescription = "definition.oam.dev/description"
	// AnnotationDefinitionAlias is the short alias of a definition.
	AnnotationDefinitionAlias = "definition.oam.dev/alias"
	// AnnotationDefinitionRevisionName pins the name of the DefinitionRevision a definition
	// change produces.
	AnnotationDefinitionRevisionName = "definitionrevision.oam.dev/name"
	// AnnotationAddonDefinitionBindComponent binds an addon definition to an addon component.
	AnnotationAddonDefinitionBindComponent = "addon.oam.dev/bind-component"
)

// Finalizers.
const (
	// FinalizerResourceTracker holds an Application until its resources are garbage collected.
	FinalizerResourceTracker = "app.oam.dev/resource-tracker-finalizer"
	// FinalizerOrphanResource makes deletion orphan, rather than delete, managed resources.
	FinalizerOrphanResource = "app.oam.dev/orphan-resource"
)
