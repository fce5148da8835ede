package appfile

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// DefinitionGroupVersion is the API group/version of X-Definitions.
var DefinitionGroupVersion = schema.GroupVersion{Group: "core.oam.dev", Version: "v1beta1"}

// ClientLoader loads definitions from a cluster through a controller-runtime
// client (a cache-backed client in the controller, a direct one in the CLI).
type ClientLoader struct {
	Reader client.Reader
}

// Load implements Loader: namespace first, then SystemNamespace.
func (l *ClientLoader) Load(ctx context.Context, kind, name, namespace string) (*Definition, error) {
	for _, ns := range searchOrder(namespace) {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(DefinitionGroupVersion.WithKind(kind))
		err := l.Reader.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u)
		if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s %s/%s: %w", kind, ns, name, err)
		}
		return DefinitionFromUnstructured(u)
	}
	return nil, notFound(kind, name, namespace)
}

// List implements Loader; definitions in namespace shadow system ones.
func (l *ClientLoader) List(ctx context.Context, kind, namespace string) ([]*Definition, error) {
	byName := map[string]*Definition{}
	order := searchOrder(namespace)
	for i := len(order) - 1; i >= 0; i-- {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(DefinitionGroupVersion.WithKind(kind + "List"))
		err := l.Reader.List(ctx, list, client.InNamespace(order[i]))
		if meta.IsNoMatchError(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("listing %s in %s: %w", kind, order[i], err)
		}
		for j := range list.Items {
			d, err := DefinitionFromUnstructured(&list.Items[j])
			if err != nil {
				return nil, err
			}
			byName[d.Name] = d
		}
	}
	return sortedDefs(byName), nil
}

func searchOrder(namespace string) []string {
	if namespace == "" || namespace == SystemNamespace {
		return []string{SystemNamespace}
	}
	return []string{namespace, SystemNamespace}
}
