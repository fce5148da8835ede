package application

import (
	"context"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
)

// LocalCluster is the name KubeVela gives the cluster the control plane runs in.
const LocalCluster = "local"

// Resource states reported by Resources.
const (
	// ResourceUpdated: the resource exists.
	ResourceUpdated = "updated"
	// ResourceNotFound: the resource is tracked but does not exist.
	ResourceNotFound = "not found"
	// ResourceDeleted: the resource was deleted by garbage collection.
	ResourceDeleted = "deleted"
	// ResourceRemote: the resource lives in a cluster this client cannot read.
	ResourceRemote = "unknown (remote cluster)"
)

// Resource is one resource an Application owns, with its live state.
type Resource struct {
	// Cluster the resource was dispatched to ("local" for this cluster).
	Cluster string `json:"cluster"`
	// Namespace of the resource; empty for cluster-scoped ones.
	Namespace string `json:"namespace,omitempty"`
	// APIVersion of the resource.
	APIVersion string `json:"apiVersion"`
	// Kind of the resource.
	Kind string `json:"kind"`
	// Name of the resource.
	Name string `json:"name"`
	// Component the resource was rendered from.
	Component string `json:"component,omitempty"`
	// Trait that rendered the resource, if any.
	Trait string `json:"trait,omitempty"`
	// Status is one of the Resource* states.
	Status string `json:"status"`
	// Detail summarises the live object (ready replicas, pod phase, service address).
	Detail string `json:"detail,omitempty"`
}

// ClusterClients gives the client of a joined member cluster by name
// (pkg/multicluster.ClientCache implements it).
type ClusterClients interface {
	Client(ctx context.Context, cluster string) (client.Client, error)
}

// ResourcesIn lists what app owns: the managed resources of its ResourceTrackers, else its
// status.appliedResources, else the common workload kinds labelled with its name; each
// with its live state, sorted by cluster, namespace, kind and name. Resources in member
// clusters are read through members (nil:
// they are reported as ResourceRemote); a member that cannot be reached says why.
func ResourcesIn(ctx context.Context, c client.Client, app *v1beta1.Application, members ClusterClients) ([]Resource, error) {
	live, err := LiveResourcesIn(ctx, c, app, members)
	if err != nil {
		return nil, err
	}
	out := make([]Resource, len(live))
	for i, l := range live {
		out[i] = l.Resource
	}
	return out, nil
}

// LiveResource is a Resource with the live object read (nil when it could not be).
type LiveResource struct {
	Resource
	// Object is the live object; it may be a Secret with its data.
	Object *unstructured.Unstructured
}

// LiveResourcesIn is ResourcesIn keeping the live objects it read, for callers that hand
// them on (VelaQL's ListResourcesInApp).
func LiveResourcesIn(ctx context.Context, c client.Client, app *v1beta1.Application, members ClusterClients) ([]LiveResource, error) {
	refs, err := trackedResources(ctx, c, app)
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		for _, r := range app.Status.AppliedResources {
			refs = append(refs, v1beta1.ManagedResource{ClusterObjectReference: r})
		}
	}
	if len(refs) == 0 {
		return labelledResources(ctx, c, app)
	}
	out := make([]LiveResource, 0, len(refs))
	for _, m := range refs {
		out = append(out, inspect(ctx, c, members, m))
	}
	sortResources(out)
	return out, nil
}

// trackedResources reads the managed resources of app's root and versioned trackers (and
// the legacy status.trackedResources), the newest entry winning for each object.
func trackedResources(ctx context.Context, c client.Client, app *v1beta1.Application) ([]v1beta1.ManagedResource, error) {
	var rts v1beta1.ResourceTrackerList
	err := c.List(ctx, &rts, client.MatchingLabels{oam.LabelAppName: app.Name, oam.LabelAppNamespace: app.Namespace})
	if err != nil {
		return nil, fmt.Errorf("listing resource trackers of application %s/%s: %w", app.Namespace, app.Name, err)
	}
	sort.Slice(rts.Items, func(i, j int) bool {
		return rts.Items[i].Spec.ApplicationGeneration < rts.Items[j].Spec.ApplicationGeneration
	})
	seen := map[string]int{}
	var out []v1beta1.ManagedResource
	for _, rt := range rts.Items {
		if rt.Spec.Type == v1beta1.ResourceTrackerTypeComponentRevision {
			continue
		}
		legacy := make([]v1beta1.ManagedResource, 0, len(rt.Status.TrackedResources))
		for _, r := range rt.Status.TrackedResources {
			legacy = append(legacy, v1beta1.ManagedResource{ClusterObjectReference: r})
		}
		for _, m := range append(legacy, rt.Spec.ManagedResources...) {
			key := fmt.Sprintf("%s/%s/%s/%s/%s", m.Cluster, m.APIVersion, m.Kind, m.Namespace, m.Name)
			if i, ok := seen[key]; ok {
				out[i] = m
				continue
			}
			seen[key] = len(out)
			out = append(out, m)
		}
	}
	return out, nil
}

// inspect reads the live object a tracker entry refers to.
func inspect(ctx context.Context, c client.Client, members ClusterClients, m v1beta1.ManagedResource) LiveResource {
	r := Resource{
		Cluster: m.Cluster, Namespace: m.Namespace, APIVersion: m.APIVersion, Kind: m.Kind, Name: m.Name,
		Component: m.Component, Trait: m.Trait,
	}
	if r.Cluster == "" {
		r.Cluster = LocalCluster
	}
	switch {
	case m.Deleted:
		r.Status = ResourceDeleted
		return LiveResource{Resource: r}
	case r.Cluster != LocalCluster && members == nil:
		r.Status = ResourceRemote
		return LiveResource{Resource: r}
	case r.Cluster != LocalCluster:
		mc, err := members.Client(ctx, r.Cluster)
		if err != nil {
			r.Status = "unknown: " + err.Error()
			return LiveResource{Resource: r}
		}
		c = mc
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.FromAPIVersionAndKind(m.APIVersion, m.Kind))
	err := c.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: m.Name}, u)
	switch {
	case apierrors.IsNotFound(err):
		r.Status = ResourceNotFound
	case err != nil:
		r.Status = "unknown: " + err.Error()
	default:
		r.Status = ResourceUpdated
		r.Detail = summarise(u)
		return LiveResource{Resource: r, Object: u}
	}
	return LiveResource{Resource: r}
}

// labelledKinds are looked up by label when an Application has no tracker.
func labelledKinds() []schema.GroupVersionKind {
	return []schema.GroupVersionKind{
		{Group: "apps", Version: "v1", Kind: "Deployment"},
		{Group: "apps", Version: "v1", Kind: "StatefulSet"},
		{Group: "apps", Version: "v1", Kind: "DaemonSet"},
		{Group: "batch", Version: "v1", Kind: "Job"},
		{Group: "batch", Version: "v1", Kind: "CronJob"},
		{Version: "v1", Kind: "Service"},
		{Version: "v1", Kind: "ConfigMap"},
		{Version: "v1", Kind: "Secret"},
		{Group: "networking.k8s.io", Version: "v1", Kind: "Ingress"},
	}
}

func labelledResources(ctx context.Context, c client.Client, app *v1beta1.Application) ([]LiveResource, error) {
	sel := client.MatchingLabels{oam.LabelAppName: app.Name, oam.LabelAppNamespace: app.Namespace}
	var out []LiveResource
	for _, gvk := range labelledKinds() {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := c.List(ctx, list, sel); err != nil {
			return nil, fmt.Errorf("listing %ss of application %s/%s: %w", gvk.Kind, app.Namespace, app.Name, err)
		}
		for i := range list.Items {
			u := &list.Items[i]
			labels := u.GetLabels()
			out = append(out, LiveResource{Object: u, Resource: Resource{
				Cluster: LocalCluster, Namespace: u.GetNamespace(), APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind,
				Name: u.GetName(), Component: labels[oam.LabelAppComponent], Trait: labels[oam.TraitTypeLabel],
				Status: ResourceUpdated, Detail: summarise(u),
			}})
		}
	}
	sortResources(out)
	return out, nil
}

func sortResources(rs []LiveResource) {
	sort.SliceStable(rs, func(i, j int) bool {
		a, b := rs[i], rs[j]
		if a.Cluster != b.Cluster {
			return a.Cluster < b.Cluster
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.Name < b.Name
	})
}

// summarise describes a live object in a few words; it never reads Secret data.
func summarise(u *unstructured.Unstructured) string {
	o := u.Object
	switch u.GetKind() {
	case "Deployment", "StatefulSet", "ReplicaSet":
		want, found, _ := unstructured.NestedInt64(o, "spec", "replicas")
		if !found {
			want = 1
		}
		ready, _, _ := unstructured.NestedInt64(o, "status", "readyReplicas")
		return fmt.Sprintf("Ready:%d/%d", ready, want)
	case "DaemonSet":
		want, _, _ := unstructured.NestedInt64(o, "status", "desiredNumberScheduled")
		ready, _, _ := unstructured.NestedInt64(o, "status", "numberReady")
		return fmt.Sprintf("Ready:%d/%d", ready, want)
	case "Job":
		done, _, _ := unstructured.NestedInt64(o, "status", "succeeded")
		want, found, _ := unstructured.NestedInt64(o, "spec", "completions")
		if !found {
			want = 1
		}
		return fmt.Sprintf("Complete:%d/%d", done, want)
	case "Pod":
		phase, _, _ := unstructured.NestedString(o, "status", "phase")
		return "Phase:" + phase
	case "Service":
		typ, _, _ := unstructured.NestedString(o, "spec", "type")
		ip, _, _ := unstructured.NestedString(o, "spec", "clusterIP")
		return fmt.Sprintf("%s %s", typ, ip)
	}
	return ""
}
