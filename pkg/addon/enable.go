package addon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/application"
)

// DefaultTimeout bounds the wait for each addon Application to run.
const DefaultTimeout = 5 * time.Minute

// EnableOptions say how to enable an addon.
type EnableOptions struct {
	// Parameters are merged over the parameters stored by an earlier enable.
	Parameters map[string]any
	// Clusters, when set, delivers the addon to those clusters (a topology policy).
	Clusters []string
	// NoWait returns once everything is applied, without waiting for the Applications.
	NoWait bool
	// Timeout bounds the wait for each Application; DefaultTimeout when zero.
	Timeout time.Duration
}

// Enabled is one addon an Enable call enabled.
type Enabled struct {
	// Addon is the addon.
	Addon *Addon
	// Rendered is what was applied.
	Rendered *Rendered
}

// step is one addon of a plan, rendered and ready to apply.
type step struct {
	addon  *Addon
	params map[string]any
	out    *Rendered
}

// Enable enables a and, first, the dependencies that are not enabled yet. Everything is
// rendered and checked before anything is applied, so a bad addon changes nothing.
func (m *Manager) Enable(ctx context.Context, a *Addon, opts EnableOptions) ([]Enabled, error) {
	plan, err := Plan(a, m.registries, m.enabledVersion(ctx))
	if err != nil {
		return nil, err
	}
	steps := make([]step, 0, len(plan))
	for _, p := range plan {
		s, err := m.prepare(ctx, p, p == a, opts)
		if err != nil {
			return nil, err
		}
		steps = append(steps, s)
	}
	var done []Enabled
	for _, s := range steps {
		if s.addon != a {
			m.log.Infof("Enabling dependency %s (%s) of %s", s.addon.Meta.Name, s.addon.Meta.Version, a.Meta.Name)
		} else {
			m.log.Infof("Enabling addon %s (%s) from registry %s", a.Meta.Name, a.Meta.Version, a.Registry)
		}
		if err := m.applyOrRollBack(ctx, s, opts); err != nil {
			return done, fmt.Errorf("enabling addon %s: %w", s.addon.Meta.Name, err)
		}
		done = append(done, Enabled{Addon: s.addon, Rendered: s.out})
	}
	return done, nil
}

// prepare checks requirements, merges parameters and renders one addon of the plan.
func (m *Manager) prepare(ctx context.Context, a *Addon, root bool, opts EnableOptions) (step, error) {
	kube, err := m.kubernetesVersion()
	if err != nil {
		return step{}, err
	}
	if err := CheckRequirements(a, m.vela, kube); err != nil {
		return step{}, err
	}
	params, err := m.storedParameters(ctx, a.Meta.Name)
	if err != nil {
		return step{}, err
	}
	if root {
		for k, v := range opts.Parameters {
			params[k] = v
		}
		if len(opts.Clusters) > 0 {
			cl := make([]any, len(opts.Clusters))
			for i, c := range opts.Clusters {
				cl[i] = c
			}
			params[ClustersParameter] = cl
		}
	}
	out, err := Render(a, params, clustersOf(params))
	if err != nil {
		return step{}, err
	}
	if len(out.UnknownParameters) > 0 {
		m.log.Warnf("addon %s does not declare parameter(s) %s in %s: check the spelling", a.Meta.Name,
			strings.Join(out.UnknownParameters, ", "), ParameterFile)
	}
	return step{addon: a, params: params, out: out}, nil
}

func clustersOf(params map[string]any) []string {
	list, _ := params[ClustersParameter].([]any)
	var out []string
	for _, c := range list {
		if s, ok := c.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// storedParameters reads the parameter Secret of an addon; empty when there is none.
func (m *Manager) storedParameters(ctx context.Context, name string) (map[string]any, error) {
	sec := &corev1.Secret{}
	err := m.c.Get(ctx, client.ObjectKey{Namespace: Namespace, Name: SecretName(name)}, sec)
	if apierrors.IsNotFound(err) {
		return map[string]any{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading parameters of addon %s: %w", name, err)
	}
	params := map[string]any{}
	if data := sec.Data[ParameterDataKey]; len(data) > 0 {
		if err := json.Unmarshal(data, &params); err != nil {
			return nil, fmt.Errorf("secret %s/%s: %s is not JSON: %w", Namespace, SecretName(name), ParameterDataKey, err)
		}
	}
	return params, nil
}

// applyOrRollBack applies s; when writing fails for an addon that was not enabled
// before, what was written is deleted again. A wait that times out leaves the addon
// enabled (its Application may still converge): see vela addon status.
func (m *Manager) applyOrRollBack(ctx context.Context, s step, opts EnableOptions) error {
	before, err := m.enabledApp(ctx, s.addon.Meta.Name)
	if err != nil {
		return err
	}
	err = m.apply(ctx, s, opts)
	var werr *waitError
	if err == nil || before != nil || errors.As(err, &werr) {
		return err
	}
	m.log.Warnf("rolling back addon %s: %v", s.addon.Meta.Name, err)
	written := append(append([]*unstructured.Unstructured{s.out.App}, s.out.Definitions...), s.out.Views...)
	for _, o := range append(written, s.out.Auxiliary...) {
		if derr := m.c.Delete(ctx, o.DeepCopy()); derr != nil && !apierrors.IsNotFound(derr) && !meta.IsNoMatchError(derr) {
			m.log.Warnf("  could not delete %s %s: %v", o.GetKind(), o.GetName(), derr)
		}
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: SecretName(s.addon.Meta.Name)}}
	if derr := m.c.Delete(ctx, sec); derr != nil && !apierrors.IsNotFound(derr) {
		m.log.Warnf("  could not delete secret %s: %v", sec.Name, derr)
	}
	return err
}

// waitError is a failed wait for an applied addon Application.
type waitError struct{ err error }

func (e *waitError) Error() string { return e.err.Error() }
func (e *waitError) Unwrap() error { return e.err }

// apply writes one rendered addon: parameters, definitions, views, the Application and
// its auxiliary objects, then waits for the Application to run.
func (m *Manager) apply(ctx context.Context, s step, opts EnableOptions) error {
	if err := m.applySecret(ctx, s.addon, s.params); err != nil {
		return err
	}
	for _, d := range s.out.Definitions {
		if err := m.ssa(ctx, d); err != nil {
			return fmt.Errorf("applying %s %s: %w", d.GetKind(), d.GetName(), err)
		}
		m.log.Infof("  applied %s %s", d.GetKind(), d.GetName())
	}
	for _, v := range s.out.Views {
		if err := m.ssa(ctx, v.DeepCopy()); err != nil {
			return fmt.Errorf("applying view %s: %w", v.GetName(), err)
		}
		m.log.Infof("  applied view %s", v.GetName())
	}
	if err := m.pruneViews(ctx, s.addon.Meta.Name, s.out.Views); err != nil {
		return err
	}
	app := s.out.App.DeepCopy()
	if err := m.ssa(ctx, app); err != nil {
		return fmt.Errorf("applying application %s/%s: %w", Namespace, app.GetName(), err)
	}
	m.log.Infof("  applied application %s/%s", Namespace, app.GetName())
	if err := m.applyAuxiliary(ctx, s.out.Auxiliary, app); err != nil {
		return err
	}
	if opts.NoWait {
		return nil
	}
	return m.wait(ctx, app, opts.Timeout)
}

func (m *Manager) applySecret(ctx context.Context, a *Addon, params map[string]any) error {
	data, err := json.Marshal(params)
	if err != nil {
		return err
	}
	sec := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
		"metadata": map[string]any{"name": SecretName(a.Meta.Name), "namespace": Namespace,
			"labels": map[string]any{LabelName: a.Meta.Name}},
		"data": map[string]any{ParameterDataKey: data},
	}}
	if err := m.ssa(ctx, sec); err != nil {
		return fmt.Errorf("storing parameters in secret %s/%s: %w", Namespace, SecretName(a.Meta.Name), err)
	}
	return nil
}

// applyAuxiliary applies template.cue `outputs` owned by the addon Application, so that
// deleting the Application collects them.
func (m *Manager) applyAuxiliary(ctx context.Context, objs []*unstructured.Unstructured, app *unstructured.Unstructured) error {
	for _, o := range objs {
		o = o.DeepCopy()
		namespaced, err := m.c.IsObjectNamespaced(o)
		if err != nil {
			return fmt.Errorf("applying %s %s: %w", o.GetKind(), o.GetName(), err)
		}
		if namespaced && o.GetNamespace() == "" {
			o.SetNamespace(Namespace)
		}
		if namespaced && o.GetNamespace() == Namespace {
			o.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: appAPIVersion, Kind: appKind, Name: app.GetName(), UID: app.GetUID()}})
		}
		labels := o.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[LabelName] = app.GetLabels()[LabelName]
		o.SetLabels(labels)
		if err := m.ssa(ctx, o); err != nil {
			return fmt.Errorf("applying %s %s: %w", o.GetKind(), o.GetName(), err)
		}
	}
	return nil
}

// ssa server-side applies obj and updates it with the server's answer.
func (m *Manager) ssa(ctx context.Context, obj *unstructured.Unstructured) error {
	obj.SetResourceVersion("")
	obj.SetManagedFields(nil)
	return m.c.Patch(ctx, obj, client.Apply, client.FieldOwner(FieldManager), client.ForceOwnership)
}

// wait polls the addon Application until it runs, logging each change of its state.
func (m *Manager) wait(ctx context.Context, app *unstructured.Unstructured, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := ""
	progress := func(a *v1beta1.Application) {
		if d := application.Describe(a); d != last {
			last = d
			m.log.Infof("  %s: %s", a.Name, d)
		}
	}
	applied := application.Applied{Kind: appKind, Namespace: Namespace, Name: app.GetName(), Generation: app.GetGeneration()}
	if _, err := application.WaitRunning(ctx, m.c, applied, progress); err != nil {
		return &waitError{err: err}
	}
	return nil
}
