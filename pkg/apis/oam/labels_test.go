package oam_test

import (
	"testing"

	"velad.io/velad/pkg/apis/oam"
)

// TestKeysMatchKubeVela pins the keys vela tooling and KubeVela definitions rely on; a change
// here breaks compatibility with existing definitions and clients.
func TestKeysMatchKubeVela(t *testing.T) {
	for got, want := range map[string]string{
		oam.LabelAppName:                    "app.oam.dev/name",
		oam.LabelAppNamespace:               "app.oam.dev/namespace",
		oam.LabelAppComponent:               "app.oam.dev/component",
		oam.LabelAppRevision:                "app.oam.dev/appRevision",
		oam.LabelOAMResourceType:            "app.oam.dev/resourceType",
		oam.WorkloadTypeLabel:               "workload.oam.dev/type",
		oam.TraitTypeLabel:                  "trait.oam.dev/type",
		oam.TraitResource:                   "trait.oam.dev/resource",
		oam.AnnotationPublishVersion:        "app.oam.dev/publishVersion",
		oam.AnnotationAutoUpdate:            "app.oam.dev/autoUpdate",
		oam.AnnotationAppSharedBy:           "app.oam.dev/shared-by",
		oam.AnnotationDefinitionDescription: "definition.oam.dev/description",
		oam.ResourceTypeWorkload:            "WORKLOAD",
		oam.ResourceTypeTrait:               "TRAIT",
		oam.FinalizerResourceTracker:        "app.oam.dev/resource-tracker-finalizer",
	} {
		if got != want {
			t.Errorf("key %q, want %q", got, want)
		}
	}
}
