package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	// mu guards tracker and the services and applied lists of s.
	mu sync.Mutex
}

var _ workflow.Dispatcher = (*dispatcher)(nil)

func (r *Reconciler) newDispatcher(s *appState) *dispatcher {
	s.tracker = r.newTracker(s.app, s.rev.Name)
	s.tracker.assumeNew = s.created != nil
	return &dispatcher{r: r, s: s, tracker: s.tracker}
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
// rendered objects (rendered again when the step changed its properties, names
// a cluster or a replica: context.cluster, context.replicaKey) through the client
// of cluster, to namespace ("" = the Application's), and returns a wait while
// the component is not healthy there or the cluster does not answer. It is
// safe for concurrent use (a deploy step applies placements in parallel).
func (d *dispatcher) ApplyComponent(ctx context.Context, comp map[string]any, cluster, namespace string) (map[string]any, map[string]any, error) {
	name, _ := comp["name"].(string)
	cl, err := d.r.stepClient(ctx, cluster)
	if err != nil {
		return nil, nil, fmt.Errorf("component %q: %w", name, err)
	}
	c, m, err := d.manifest(ctx, name, comp, cluster)
	if err != nil {
		return nil, nil, err
	}
	target := namespace
	if target == "" {
		target = d.s.app.Namespace
	}
	m = placed(m, func(o *unstructured.Unstructured) {
		d.defaultNamespace(cl, o)
		if o.GetNamespace() == d.s.app.Namespace {
			o.SetNamespace(target)
		}
	})
	if !isLocal(cluster) || target != d.s.app.Namespace {
		if err := d.r.requestFailed(cluster, ensureNamespace(ctx, cl, target)); err != nil {
			return nil, nil, fmt.Errorf("component %q: %w", name, err)
		}
	}
	if err := d.r.requestFailed(cluster, d.dispatch(ctx, cl, name, cluster, m.Objects())); err != nil {
		return nil, nil, fmt.Errorf("component %q: %w", name, err)
	}
	replica, _ := comp["replicaKey"].(string)
	st, live, liveOutputs, err := d.r.componentHealth(ctx, d.s, appliedState, cluster, replica, c, m)
	if err != nil {
		return nil, nil, fmt.Errorf("component %q: %w", name, d.r.requestFailed(cluster, err))
	}
	d.mu.Lock()
	d.s.services[serviceKey(st)] = st
	d.mu.Unlock()
	if !st.Healthy {
		msg := st.Message
		if msg == "" {
			msg = "not healthy yet"
		}
		if !isLocal(cluster) {
			return live, liveOutputs, workflow.Wait("component %q in cluster %q: %s", name, cluster, msg)
		}
		return live, liveOutputs, workflow.Wait("component %q: %s", name, msg)
	}
	return live, liveOutputs, nil
}

// RenderComponent implements workflow.Renderer: the component's objects as ApplyComponent
// would apply them to the local cluster, without applying them.
func (d *dispatcher) RenderComponent(ctx context.Context, comp map[string]any) (map[string]any, map[string]any, error) {
	name, _ := comp["name"].(string)
	_, m, err := d.manifest(ctx, name, comp, "")
	if err != nil {
		return nil, nil, err
	}
	var out map[string]any
	if m.Workload != nil {
		w := m.Workload.DeepCopy()
		d.defaultNamespace(d.r.client, w)
		out = w.Object
	}
	outs := map[string]any{}
	for _, t := range m.Traits {
		o := t.Object.DeepCopy()
		d.defaultNamespace(d.r.client, o)
		outs[t.Resource] = o.Object
	}
	return out, outs, nil
}

var _ workflow.Renderer = (*dispatcher)(nil)

// placed is a copy of m whose objects edit has adjusted for one placement;
// m itself is shared by the placements and left alone.
func placed(m *appfile.ComponentManifest, edit func(*unstructured.Unstructured)) *appfile.ComponentManifest {
	cp := *m
	move := func(o *unstructured.Unstructured) *unstructured.Unstructured {
		o = o.DeepCopy()
		edit(o)
		return o
	}
	if m.Workload != nil {
		cp.Workload = move(m.Workload)
	}
	cp.Traits = make([]*appfile.TraitObject, 0, len(m.Traits))
	for _, t := range m.Traits {
		tc := *t
		tc.Object = move(t.Object)
		cp.Traits = append(cp.Traits, &tc)
	}
	return &cp
}

// ensureNamespace creates a target namespace in a cluster, as KubeVela does
// for topologies and for members that lack the Application's namespace.
func ensureNamespace(ctx context.Context, c client.Client, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}

// Policy implements workflow.Dispatcher.
func (d *dispatcher) Policy(name string) (string, map[string]any, bool) {
	for _, p := range d.s.af.App.Spec.Policies {
		if p.Name == name {
			return p.Type, orEmpty(p.Properties), true
		}
	}
	return "", nil, false
}

// manifest returns the component and its rendering; when the step passes
// other properties, traits or type (inputs, override policies) than the
// spec, or a cluster (context.cluster), the component is rendered again. A
// component an override policy added is loaded by its type.
func (d *dispatcher) manifest(ctx context.Context, name string, comp map[string]any, cluster string) (*appfile.Component, *appfile.ComponentManifest, error) {
	var c *appfile.Component
	for _, x := range d.s.af.Components {
		if x.Name == name {
			c = x
		}
	}
	m := d.s.manifests[name]
	typ, _ := comp["type"].(string)
	if c == nil || m == nil || (typ != "" && typ != c.Type) {
		if typ == "" {
			return nil, nil, fmt.Errorf("component %q is not part of application %q", name, d.s.app.Name)
		}
		def, err := d.r.loader.Load(ctx, appfile.KindComponent, typ, d.s.app.Namespace)
		if err != nil {
			return nil, nil, fmt.Errorf("component %q: %w", name, err)
		}
		c, m = &appfile.Component{Name: name, Type: typ, Template: appfile.NewTemplate(def)}, nil
	}
	var spec map[string]any
	for _, sc := range d.Components() {
		if sc["name"] == name {
			spec = sc
		}
	}
	replica, _ := comp["replicaKey"].(string)
	if m != nil && cluster == "" && replica == "" && jsonEqual(comp["properties"], spec["properties"]) && jsonEqual(comp["traits"], spec["traits"]) {
		return c, m, nil
	}
	cp, err := d.component(ctx, c, comp)
	if err != nil {
		return nil, nil, err
	}
	opts := d.s.renderOptions()
	opts.Cluster, opts.ReplicaKey = cluster, replica
	m, err = d.s.af.RenderComponent(ctx, d.r.cue, cp, opts)
	return cp, m, err
}

// component is c with the properties and traits of the value a step passed;
// trait types the spec does not use are loaded from the cluster.
func (d *dispatcher) component(ctx context.Context, c *appfile.Component, comp map[string]any) (*appfile.Component, error) {
	cp := *c
	cp.Properties, _ = comp["properties"].(map[string]any)
	cp.Traits = nil
	traits, _ := comp["traits"].([]any)
	for _, x := range traits {
		t, _ := x.(map[string]any)
		typ, _ := t["type"].(string)
		props, _ := t["properties"].(map[string]any)
		var tmpl *appfile.Template
		for _, known := range c.Traits {
			if known.Type == typ {
				tmpl = known.Template
			}
		}
		if tmpl == nil {
			def, err := d.r.loader.Load(ctx, appfile.KindTrait, typ, d.s.app.Namespace)
			if err != nil {
				return nil, fmt.Errorf("component %q: trait %q: %w", c.Name, typ, err)
			}
			tmpl = appfile.NewTemplate(def)
		}
		cp.Traits = append(cp.Traits, &appfile.Trait{Type: typ, Properties: props, Template: tmpl})
	}
	return &cp, nil
}

// jsonEqual compares two decoded values by their JSON encoding.
func jsonEqual(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// Apply implements workflow.Dispatcher for objects a step applies itself.
func (d *dispatcher) Apply(ctx context.Context, obj *unstructured.Unstructured) error {
	return d.ApplyIn(ctx, "", obj)
}

var _ workflow.ClusterApplier = (*dispatcher)(nil)

// ApplyIn implements workflow.ClusterApplier: Apply in cluster ("" or "local":
// the hub); a member that does not answer makes the step wait.
func (d *dispatcher) ApplyIn(ctx context.Context, cluster string, obj *unstructured.Unstructured) error {
	cl, err := d.r.stepClient(ctx, cluster)
	if err != nil {
		return err
	}
	d.defaultNamespace(cl, obj)
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[oam.LabelAppName] = d.s.app.Name
	labels[oam.LabelAppNamespace] = d.s.app.Namespace
	obj.SetLabels(labels)
	if !isLocal(cluster) && obj.GetNamespace() != "" {
		if err := d.r.requestFailed(cluster, ensureNamespace(ctx, cl, obj.GetNamespace())); err != nil {
			return err
		}
	}
	return d.r.requestFailed(cluster, d.dispatch(ctx, cl, "", cluster, []*unstructured.Unstructured{obj}))
}

// Forget implements workflow.Forgetter: an object a step deleted is marked deleted in the
// ResourceTracker, so state keeping does not apply it again.
func (d *dispatcher) Forget(ctx context.Context, obj *unstructured.Unstructured) error {
	return d.ForgetIn(ctx, "", obj)
}

// ForgetIn implements workflow.ClusterApplier: Forget for an object of cluster.
func (d *dispatcher) ForgetIn(ctx context.Context, cluster string, obj *unstructured.Unstructured) error {
	d.defaultNamespace(d.r.client, obj)
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.tracker.forget(ctx, cluster, obj)
}

var _ workflow.Forgetter = (*dispatcher)(nil)

// defaultNamespace puts a namespaced object without a namespace into the
// Application's; c says which kinds are namespaced.
func (d *dispatcher) defaultNamespace(c client.Client, o *unstructured.Unstructured) {
	defaultNamespace(c, o, d.s.app.Namespace)
}

// defaultNamespace puts o into ns when it has no namespace and is namespaced, or c cannot
// tell (an unknown kind is taken as namespaced); c says which kinds are namespaced.
func defaultNamespace(c client.Client, o *unstructured.Unstructured, ns string) {
	if o.GetNamespace() != "" {
		return
	}
	if namespaced, err := c.IsObjectNamespaced(o); err != nil || namespaced {
		o.SetNamespace(ns)
	}
}

// apply server-side applies o through c (the client of cluster), forcing
// ownership of the fields it sets, and leaves the live object in o; version
// is a precondition (applyObject).
func (d *dispatcher) apply(ctx context.Context, c client.Client, cluster string, o *unstructured.Unstructured, version string) error {
	d.defaultNamespace(c, o)
	ref := corev1.ObjectReference{APIVersion: o.GetAPIVersion(), Kind: o.GetKind(), Namespace: o.GetNamespace(), Name: o.GetName()}
	app, key := client.ObjectKeyFromObject(d.s.app), refKey(cluster, ref)
	sum, summed := manifestSum(o)
	if err := applyObject(ctx, c, o, version); err != nil {
		d.r.applied.drop(app, key)
		return err
	}
	if summed {
		d.r.applied.record(app, key, o.GetUID(), sum)
	}
	d.mu.Lock()
	if d.s.fresh == nil {
		d.s.fresh = map[string]bool{}
	}
	d.s.fresh[key] = true
	ref.UID = o.GetUID()
	d.s.applied = append(d.s.applied, v1beta1.ClusterObjectReference{Cluster: clusterKey(cluster), ObjectReference: ref})
	d.mu.Unlock()
	return nil
}
