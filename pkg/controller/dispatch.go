package controller

import (
	"context"
	"fmt"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
	"velad.io/velad/pkg/appfile"
	"velad.io/velad/pkg/workflow"
)

// dispatcher is the workflow.Dispatcher of one reconcile: it applies with
// server-side apply under FieldManager, records every object in the
// ResourceTracker first, and reports component health.
type dispatcher struct {
	r       *Reconciler
	s       *appState
	tracker *tracker
}

var _ workflow.Dispatcher = (*dispatcher)(nil)

func (r *Reconciler) newDispatcher(s *appState) *dispatcher {
	return &dispatcher{r: r, s: s, tracker: &tracker{client: r.client, reader: r.reader, app: s.app}}
}

// Components implements workflow.Dispatcher.
func (d *dispatcher) Components() []map[string]any {
	out := make([]map[string]any, 0, len(d.s.af.App.Spec.Components))
	for _, c := range d.s.af.App.Spec.Components {
		traits := make([]any, 0, len(c.Traits))
		for _, t := range c.Traits {
			traits = append(traits, map[string]any{"type": t.Type, "properties": orEmpty(t.Properties)})
		}
		deps := make([]any, 0, len(c.DependsOn))
		for _, dep := range c.DependsOn {
			deps = append(deps, dep)
		}
		out = append(out, map[string]any{
			"name": c.Name, "type": c.Type, "properties": orEmpty(c.Properties),
			"traits": traits, "dependsOn": deps,
		})
	}
	return out
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// ApplyComponent implements workflow.Dispatcher: it applies the component's
// rendered objects (rendered again when the step changed its properties) and
// returns a wait while the component is not healthy.
func (d *dispatcher) ApplyComponent(ctx context.Context, comp map[string]any, _, namespace string) (map[string]any, map[string]any, error) {
	name, _ := comp["name"].(string)
	c, m, err := d.manifest(ctx, name, comp)
	if err != nil {
		return nil, nil, err
	}
	objs := m.Objects()
	for _, o := range objs {
		if namespace != "" {
			o.SetNamespace(namespace)
		}
		d.defaultNamespace(o)
	}
	if err := d.tracker.track(ctx, name, objs...); err != nil {
		return nil, nil, err
	}
	for _, o := range objs {
		if err := d.apply(ctx, o); err != nil {
			return nil, nil, fmt.Errorf("component %q: %w", name, err)
		}
	}
	st, live, liveOutputs, err := d.r.componentHealth(ctx, d.s, c, m)
	if err != nil {
		return nil, nil, err
	}
	d.s.services[name] = st
	if !st.Healthy {
		msg := st.Message
		if msg == "" {
			msg = "not healthy yet"
		}
		return live, liveOutputs, workflow.Wait("component %q: %s", name, msg)
	}
	return live, liveOutputs, nil
}

// manifest returns the component and its rendering; when the step passes
// different properties (inputs) the component is rendered again with them.
func (d *dispatcher) manifest(ctx context.Context, name string, comp map[string]any) (*appfile.Component, *appfile.ComponentManifest, error) {
	var c *appfile.Component
	for _, x := range d.s.af.Components {
		if x.Name == name {
			c = x
		}
	}
	m := d.s.manifests[name]
	if c == nil || m == nil {
		return nil, nil, fmt.Errorf("component %q is not part of application %q", name, d.s.app.Name)
	}
	props, _ := comp["properties"].(map[string]any)
	if props == nil || reflect.DeepEqual(props, orEmpty(c.Properties)) {
		return c, m, nil
	}
	cp := *c
	cp.Properties = props
	m, err := d.s.af.RenderComponent(ctx, d.r.cue, &cp, d.s.renderOptions())
	return &cp, m, err
}

// Apply implements workflow.Dispatcher for objects a step applies itself.
func (d *dispatcher) Apply(ctx context.Context, obj *unstructured.Unstructured) error {
	d.defaultNamespace(obj)
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[oam.LabelAppName] = d.s.app.Name
	labels[oam.LabelAppNamespace] = d.s.app.Namespace
	obj.SetLabels(labels)
	if err := d.tracker.track(ctx, "", obj); err != nil {
		return err
	}
	return d.apply(ctx, obj)
}

func (d *dispatcher) defaultNamespace(o *unstructured.Unstructured) {
	if o.GetNamespace() != "" {
		return
	}
	if ns, err := d.r.client.IsObjectNamespaced(o); err != nil || ns {
		o.SetNamespace(d.s.app.Namespace)
	}
}

// apply server-side applies o, forcing ownership of the fields it sets, and
// leaves the live object in o.
func (d *dispatcher) apply(ctx context.Context, o *unstructured.Unstructured) error {
	o.SetManagedFields(nil)
	o.SetResourceVersion("")
	//nolint:staticcheck // Patch with client.Apply is the unstructured SSA form.
	if err := d.r.client.Patch(ctx, o, client.Apply, client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return fmt.Errorf("applying %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
	}
	d.s.applied = append(d.s.applied, v1beta1.ClusterObjectReference{ObjectReference: corev1.ObjectReference{
		APIVersion: o.GetAPIVersion(), Kind: o.GetKind(), Namespace: o.GetNamespace(), Name: o.GetName(), UID: o.GetUID(),
	}})
	return nil
}
