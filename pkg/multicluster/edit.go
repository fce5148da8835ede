package multicluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
)

// resourceTrackerList is the GVK of core.oam.dev/v1beta1 ResourceTracker lists, read
// unstructured so the registry works with any tracker schema.
var resourceTrackerList = schema.GroupVersionKind{Group: "core.oam.dev", Version: "v1beta1", Kind: "ResourceTrackerList"}

// AddLabels sets labels on a joined cluster (overwriting values of existing keys).
func (r *Registry) AddLabels(ctx context.Context, name string, labels map[string]string) (*Cluster, error) {
	if err := ValidateLabels(labels); err != nil {
		return nil, err
	}
	return r.update(ctx, name, "label", func(s *corev1.Secret) error {
		for k, v := range labels {
			s.Labels[k] = v
		}
		return nil
	})
}

// DelLabels removes labels from a joined cluster; every key must be present.
func (r *Registry) DelLabels(ctx context.Context, name string, keys []string) (*Cluster, error) {
	return r.update(ctx, name, "unlabel", func(s *corev1.Secret) error {
		var missing []string
		for _, k := range keys {
			if strings.HasPrefix(k, MetaPrefix) {
				return fmt.Errorf("label %q is the registry's own and cannot be removed", k)
			}
			if _, ok := s.Labels[k]; !ok {
				missing = append(missing, k)
			}
			delete(s.Labels, k)
		}
		if len(missing) > 0 {
			return fmt.Errorf("cluster %q has no label %s (see vela cluster list)", name, strings.Join(missing, ", "))
		}
		return nil
	})
}

// update changes the Secret of a joined cluster, retrying on conflicts.
func (r *Registry) update(ctx context.Context, name, verb string, change func(*corev1.Secret) error) (*Cluster, error) {
	if IsLocal(name) {
		return nil, fmt.Errorf("%w: it has no stored record to %s; join clusters to %s them", ErrLocal, verb, verb)
	}
	for attempt := 0; ; attempt++ {
		s, err := r.secret(ctx, name)
		if err != nil {
			return nil, err
		}
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		if err := change(s); err != nil {
			return nil, err
		}
		err = r.hub.Update(ctx, s)
		if apierrors.IsConflict(err) && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("updating cluster %q: %w", name, err)
		}
		return FromSecret(s)
	}
}

// Rename gives a joined cluster a new name: the credential moves to a Secret of that name.
func (r *Registry) Rename(ctx context.Context, oldName, newName string) (*Cluster, error) {
	if IsLocal(oldName) {
		return nil, fmt.Errorf("%w: it cannot be renamed", ErrLocal)
	}
	if err := ValidateName(newName); err != nil {
		return nil, err
	}
	old, err := r.secret(ctx, oldName)
	if err != nil {
		return nil, err
	}
	if _, err := r.secret(ctx, newName); err == nil {
		return nil, fmt.Errorf("%w: %q is already joined: pick another new name", ErrExists, newName)
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	renamed := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: newName, Namespace: Namespace, Labels: old.Labels, Annotations: old.Annotations},
		Type:       old.Type,
		Data:       old.Data,
	}
	if err := r.hub.Create(ctx, renamed); err != nil {
		return nil, fmt.Errorf("storing cluster %q as %q: %w", oldName, newName, err)
	}
	if err := r.hub.Delete(ctx, old, client.Preconditions{UID: &old.UID}); err != nil && !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("cluster copied to %q, but removing the old name %q failed (run vela cluster detach %s --force): %w", newName, oldName, oldName, err)
	}
	return FromSecret(renamed)
}

// Detach removes a joined cluster. Unless force is set, it refuses with an *InUseError while
// any Application's ResourceTracker lists live resources in the cluster.
func (r *Registry) Detach(ctx context.Context, name string, force bool) error {
	if IsLocal(name) {
		return fmt.Errorf("%w: it cannot be detached", ErrLocal)
	}
	s, err := r.secret(ctx, name)
	if err != nil {
		return err
	}
	if !force {
		apps, err := r.UsedBy(ctx, name)
		if err != nil {
			return err
		}
		if len(apps) > 0 {
			return &InUseError{Cluster: name, Applications: apps}
		}
	}
	if err := r.hub.Delete(ctx, s); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("detaching cluster %q: %w", name, err)
	}
	return nil
}

// UsedBy returns "namespace/name" of the Applications whose ResourceTrackers list resources
// (not marked deleted) in the cluster, sorted.
func (r *Registry) UsedBy(ctx context.Context, cluster string) ([]string, error) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(resourceTrackerList)
	if err := r.hub.List(ctx, list); err != nil {
		if meta.IsNoMatchError(err) || apierrors.IsNotFound(err) {
			return nil, nil // no ResourceTracker CRD: nothing was ever dispatched
		}
		return nil, fmt.Errorf("listing resource trackers to see what uses cluster %q: %w", cluster, err)
	}
	seen := map[string]bool{}
	for _, rt := range list.Items {
		tracks, err := tracksCluster(rt.Object, cluster)
		if err != nil {
			return nil, fmt.Errorf("reading ResourceTracker %s to see what uses cluster %q: %w", rt.GetName(), cluster, err)
		}
		if !tracks {
			continue
		}
		labels := rt.GetLabels()
		app := labels[oam.LabelAppName]
		if app == "" {
			app = rt.GetName()
		}
		if ns := labels[oam.LabelAppNamespace]; ns != "" {
			app = ns + "/" + app
		}
		seen[app] = true
	}
	apps := make([]string, 0, len(seen))
	for a := range seen {
		apps = append(apps, a)
	}
	sort.Strings(apps)
	return apps, nil
}

// tracksCluster reports whether a ResourceTracker lists a live resource in cluster; it
// reads trackers stored compressed (KubeVela's spec.compression) too.
func tracksCluster(obj map[string]any, cluster string) (bool, error) {
	resources, _, _ := unstructured.NestedSlice(obj, "spec", "managedResources")
	if typ, _, _ := unstructured.NestedString(obj, "spec", "compression", "type"); typ != v1beta1.CompressionNone {
		data, _, _ := unstructured.NestedString(obj, "spec", "compression", "data")
		c := v1beta1.CompressedText{Type: typ, Data: data}
		if err := c.DecodeTo(&resources); err != nil {
			return false, fmt.Errorf("spec.compression (type %q): %w", typ, err)
		}
	}
	for _, res := range resources {
		m, ok := res.(map[string]any)
		if !ok {
			continue
		}
		c, _ := m["cluster"].(string)
		deleted, _ := m["deleted"].(bool)
		if c == cluster && !deleted {
			return true, nil
		}
	}
	return false, nil
}
