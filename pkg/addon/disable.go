package addon

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/appfile"
	"velad.io/velad/pkg/application"
)

// DisableOptions say how to disable an addon.
type DisableOptions struct {
	// Force disables even while Applications use the addon's definitions.
	Force bool
	// Timeout bounds the wait for the Application to be deleted; DefaultTimeout when zero.
	Timeout time.Duration
}

// Disable deletes the addon's Application (waiting until the controller has removed its
// resources), its definitions, its views and its parameter Secret. It refuses with an *InUseError
// while other Applications use the addon's definitions, unless opts.Force.
func (m *Manager) Disable(ctx context.Context, name string, opts DisableOptions) error {
	app, err := m.enabledApp(ctx, name)
	if err != nil {
		return err
	}
	if app == nil {
		return fmt.Errorf("disabling addon %s: %w (vela addon list shows the enabled ones)", name, ErrNotEnabled)
	}
	defs, err := m.definitions(ctx, name)
	if err != nil {
		return err
	}
	users, err := m.users(ctx, name, defs)
	if err != nil {
		return err
	}
	dependents, err := m.dependents(ctx, name)
	if err != nil {
		return err
	}
	users = append(dependents, users...)
	if len(users) > 0 {
		if !opts.Force {
			return &InUseError{Addon: name, Users: users}
		}
		m.log.Warnf("disabling addon %s although it is in use: %v", name, users)
	}
	m.log.Infof("Disabling addon %s", name)
	if err := m.c.Delete(ctx, app); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting application %s/%s: %w", Namespace, app.Name, err)
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := application.WaitDeleted(wctx, m.c, Namespace, app.Name, nil); err != nil {
		return err
	}
	m.log.Infof("  deleted application %s/%s", Namespace, app.Name)
	for _, d := range defs {
		if err := m.c.Delete(ctx, d); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting %s %s: %w", d.GetKind(), d.GetName(), err)
		}
		m.log.Infof("  deleted %s %s", d.GetKind(), d.GetName())
	}
	if err := m.pruneViews(ctx, name, nil); err != nil {
		return err
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: Namespace, Name: SecretName(name)}}
	if err := m.c.Delete(ctx, sec); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting secret %s/%s: %w", Namespace, sec.Name, err)
	}
	return nil
}

// dependents describes the enabled addons that depend on the addon called name.
func (m *Manager) dependents(ctx context.Context, name string) ([]string, error) {
	apps, err := m.enabledApps(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for other, app := range apps {
		for _, d := range strings.Split(app.Annotations[AnnotationDependencies], ",") {
			if d == name && other != name {
				out = append(out, "addon "+other+" depends on it")
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// definitions lists the X-Definitions the addon installed (labelled with its name).
func (m *Manager) definitions(ctx context.Context, name string) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	for _, kind := range appfile.DefinitionKinds {
		list := &unstructured.UnstructuredList{}
		list.SetAPIVersion(appAPIVersion)
		list.SetKind(kind + "List")
		err := m.c.List(ctx, list, client.InNamespace(Namespace), client.MatchingLabels{LabelName: name})
		if err != nil {
			return nil, fmt.Errorf("listing %ss of addon %s: %w", kind, name, err)
		}
		for i := range list.Items {
			out = append(out, &list.Items[i])
		}
	}
	return out, nil
}

// views lists the view ConfigMaps the addon called name applied.
func (m *Manager) views(ctx context.Context, name string) ([]corev1.ConfigMap, error) {
	list := &corev1.ConfigMapList{}
	if err := m.c.List(ctx, list, client.InNamespace(Namespace), client.MatchingLabels{LabelName: name, LabelView: "true"}); err != nil {
		return nil, fmt.Errorf("listing views of addon %s: %w", name, err)
	}
	return list.Items, nil
}

// pruneViews deletes the views of the addon called name that keep does not hold.
func (m *Manager) pruneViews(ctx context.Context, name string, keep []*unstructured.Unstructured) error {
	views, err := m.views(ctx, name)
	if err != nil {
		return err
	}
	kept := map[string]bool{}
	for _, k := range keep {
		kept[k.GetName()] = true
	}
	for i := range views {
		if kept[views[i].Name] {
			continue
		}
		if err := m.c.Delete(ctx, &views[i]); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting view %s: %w", views[i].Name, err)
		}
		m.log.Infof("  deleted view %s", views[i].Name)
	}
	return nil
}

// users describes the Applications (other than the addon's own) that use defs.
func (m *Manager) users(ctx context.Context, name string, defs []*unstructured.Unstructured) ([]string, error) {
	if len(defs) == 0 {
		return nil, nil
	}
	provided := map[string]bool{}
	for _, d := range defs {
		provided[d.GetKind()+"/"+d.GetName()] = true
	}
	apps := &v1beta1.ApplicationList{}
	if err := m.c.List(ctx, apps); err != nil {
		return nil, fmt.Errorf("listing applications: %w", err)
	}
	var users []string
	for _, app := range apps.Items {
		if app.Namespace == Namespace && app.Name == AppName(name) {
			continue
		}
		for _, u := range typesUsed(&app) {
			if provided[u.kind+"/"+u.name] {
				users = append(users, fmt.Sprintf("application %s/%s uses %s %s", app.Namespace, app.Name, kindNoun(u.kind), u.name))
			}
		}
	}
	sort.Strings(users)
	return users, nil
}

type typeUse struct{ kind, name string }

// typesUsed lists the definition kinds and names an Application refers to.
func typesUsed(app *v1beta1.Application) []typeUse {
	var out []typeUse
	for _, c := range app.Spec.Components {
		out = append(out, typeUse{"ComponentDefinition", c.Type})
		for _, t := range c.Traits {
			out = append(out, typeUse{"TraitDefinition", t.Type})
		}
	}
	for _, p := range app.Spec.Policies {
		out = append(out, typeUse{"PolicyDefinition", p.Type})
	}
	if wf := app.Spec.Workflow; wf != nil {
		for _, s := range wf.Steps {
			out = append(out, typeUse{"WorkflowStepDefinition", s.Type})
			for _, sub := range s.SubSteps {
				out = append(out, typeUse{"WorkflowStepDefinition", sub.Type})
			}
		}
	}
	return out
}

func kindNoun(kind string) string {
	switch kind {
	case "ComponentDefinition":
		return "component type"
	case "TraitDefinition":
		return "trait"
	case "PolicyDefinition":
		return "policy"
	}
	return "workflow step"
}

// IsInUse reports whether err is an *InUseError.
func IsInUse(err error) bool {
	var e *InUseError
	return errors.As(err, &e)
}
