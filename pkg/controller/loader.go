package controller

import (
	"context"
	"fmt"
	"sort"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/appfile"
)

// clusterLoader is an appfile.Loader reading X-Definitions through a
// controller-runtime client: first the Application's namespace, then the
// definition namespace. Converted definitions are memoised by resourceVersion.
type clusterLoader struct {
	client    client.Reader
	systemNS  string
	mu        sync.Mutex
	converted map[string]*appfile.Definition // kind/ns/name@rv
}

func newClusterLoader(c client.Reader, systemNS string) *clusterLoader {
	return &clusterLoader{client: c, systemNS: systemNS, converted: map[string]*appfile.Definition{}}
}

// newDefinition returns an empty typed object and list for a definition kind.
func newDefinition(kind string) (client.Object, client.ObjectList, error) {
	switch kind {
	case appfile.KindComponent:
		return &v1beta1.ComponentDefinition{}, &v1beta1.ComponentDefinitionList{}, nil
	case appfile.KindTrait:
		return &v1beta1.TraitDefinition{}, &v1beta1.TraitDefinitionList{}, nil
	case appfile.KindPolicy:
		return &v1beta1.PolicyDefinition{}, &v1beta1.PolicyDefinitionList{}, nil
	case appfile.KindWorkflowStep:
		return &v1beta1.WorkflowStepDefinition{}, &v1beta1.WorkflowStepDefinitionList{}, nil
	}
	return nil, nil, fmt.Errorf("unknown definition kind %q", kind)
}

// Load implements appfile.Loader.
func (l *clusterLoader) Load(ctx context.Context, kind, name, namespace string) (*appfile.Definition, error) {
	obj, _, err := newDefinition(kind)
	if err != nil {
		return nil, err
	}
	for _, ns := range l.namespaces(namespace) {
		err := l.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, obj)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s %s/%s: %w", kind, ns, name, err)
		}
		return l.convert(kind, obj)
	}
	return nil, &appfile.NotFoundError{Kind: kind, Name: name, Namespaces: l.namespaces(namespace)}
}

// List implements appfile.Loader.
func (l *clusterLoader) List(ctx context.Context, kind, namespace string) ([]*appfile.Definition, error) {
	byName := map[string]*appfile.Definition{}
	ns := l.namespaces(namespace)
	for i := len(ns) - 1; i >= 0; i-- {
		_, list, err := newDefinition(kind)
		if err != nil {
			return nil, err
		}
		if err := l.client.List(ctx, list, client.InNamespace(ns[i])); err != nil {
			return nil, fmt.Errorf("listing %s in %s: %w", kind, ns[i], err)
		}
		objs, err := meta(list)
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			d, err := l.convert(kind, o)
			if err != nil {
				return nil, err
			}
			byName[d.Name] = d
		}
	}
	out := make([]*appfile.Definition, 0, len(byName))
	for _, d := range byName {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func meta(list client.ObjectList) ([]client.Object, error) {
	items, err := apimeta.ExtractList(list) // pointers into list's Items
	if err != nil {
		return nil, err
	}
	out := make([]client.Object, 0, len(items))
	for _, it := range items {
		o, ok := it.(client.Object)
		if !ok {
			return nil, fmt.Errorf("unexpected item %T in %T", it, list)
		}
		out = append(out, o)
	}
	return out, nil
}

func (l *clusterLoader) namespaces(ns string) []string {
	if ns == "" || ns == l.systemNS {
		return []string{l.systemNS}
	}
	return []string{ns, l.systemNS}
}

// convert turns a typed definition into an appfile.Definition, memoised.
func (l *clusterLoader) convert(kind string, obj client.Object) (*appfile.Definition, error) {
	key := kind + "/" + obj.GetNamespace() + "/" + obj.GetName() + "@" + obj.GetResourceVersion()
	l.mu.Lock()
	d, ok := l.converted[key]
	l.mu.Unlock()
	if ok {
		return d, nil
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("converting %s %s: %w", kind, obj.GetName(), err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion(v1beta1.GroupVersion.String())
	u.SetKind(kind)
	if d, err = appfile.DefinitionFromUnstructured(u); err != nil {
		return nil, err
	}
	l.mu.Lock()
	if len(l.converted) > 4096 {
		clear(l.converted)
	}
	l.converted[key] = d
	l.mu.Unlock()
	return d, nil
}
