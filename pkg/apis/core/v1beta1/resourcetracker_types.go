package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// ResourceTracker records the resources an Application dispatched, across namespaces and
// clusters, so they can be garbage collected. It is cluster-scoped.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={oam},shortName=rt
// +kubebuilder:printcolumn:name="TYPE",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="APP",type=string,JSONPath=`.metadata.labels['app\.oam\.dev\/name']`
// +kubebuilder:printcolumn:name="APP-NS",type=string,JSONPath=`.metadata.labels['app\.oam\.dev\/namespace']`
// +kubebuilder:printcolumn:name="APP-GEN",type=number,JSONPath=`.spec.applicationGeneration`
type ResourceTracker struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state.
	Spec ResourceTrackerSpec `json:"spec,omitempty"`
	// Status is the observed state.
	Status ResourceTrackerStatus `json:"status,omitempty"`
}

// ResourceTrackerList is a list of ResourceTrackers.
//
// +kubebuilder:object:root=true
type ResourceTrackerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the listed objects.
	Items []ResourceTracker `json:"items"`
}

// ResourceTrackerType says which resources a ResourceTracker holds and when they are collected.
type ResourceTrackerType string

// Values of ResourceTrackerType.
const (
	// ResourceTrackerTypeRoot holds resources kept until the Application is deleted
	// (<app>-<namespace>).
	ResourceTrackerTypeRoot ResourceTrackerType = "root"
	// ResourceTrackerTypeVersioned holds one revision's resources, collected once no newer
	// tracker manages them (<app>-v<N>-<namespace>).
	ResourceTrackerTypeVersioned ResourceTrackerType = "versioned"
	// ResourceTrackerTypeComponentRevision holds the component revisions used
	// (<app>-comp-rev-<namespace>).
	ResourceTrackerTypeComponentRevision ResourceTrackerType = "component-revision"
)

// ResourceTrackerSpec lists the tracked resources.
type ResourceTrackerSpec struct {
	// Type of the tracker.
	Type ResourceTrackerType `json:"type,omitempty"`
	// ApplicationGeneration is the Application generation the tracker was last written for.
	ApplicationGeneration int64 `json:"applicationGeneration"`
	// ManagedResources are the tracked resources.
	ManagedResources []ManagedResource `json:"managedResources,omitempty"`
	// Compression holds ManagedResources when they are stored compressed (Type zstd or
	// gzip), as ApplicationRevisionSpec.Compression holds a snapshot.
	Compression CompressedText `json:"compression,omitempty"`
}

// ManagedResource is one tracked resource.
type ManagedResource struct {
	// ClusterObjectReference identifies the resource.
	ClusterObjectReference `json:",inline"`
	// OAMObjectReference places it in the application model.
	OAMObjectReference `json:",inline"`
	// Data is the resource as last applied, when recorded.
	// +kubebuilder:pruning:PreserveUnknownFields
	Data *runtime.RawExtension `json:"raw,omitempty"`
	// Deleted marks a resource whose deletion was requested.
	Deleted bool `json:"deleted,omitempty"`
	// SkipGC keeps the resource when it is no longer rendered.
	SkipGC bool `json:"skipGC,omitempty"`
}

// ResourceTrackerStatus is kept for compatibility with old trackers.
type ResourceTrackerStatus struct {
	// TrackedResources is the legacy list of tracked resources.
	TrackedResources []ClusterObjectReference `json:"trackedResources,omitempty"`
}
