package velaql

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/application"
	"velad.io/velad/pkg/cue"
	"velad.io/velad/pkg/cue/provider/op"
	"velad.io/velad/pkg/workflow"
)

// Where views are stored.
const (
	// Namespace holds the view ConfigMaps.
	Namespace = "vela-system"
	// TemplateKey is the ConfigMap key holding a view's CUE template.
	TemplateKey = "template"
)

// ErrViewNotFound is returned for a query naming a view no ConfigMap holds.
var ErrViewNotFound = errors.New("view not found")

// ViewConfigMap returns the ConfigMap that stores the view name with template, as KubeVela
// stores views (`vela ql apply`, addon views/); it checks that name is a valid ConfigMap name.
func ViewConfigMap(name, template string) (*corev1.ConfigMap, error) {
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return nil, fmt.Errorf("view name %q: %s", name, errs[0])
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: Namespace},
		Data:       map[string]string{TemplateKey: template},
	}, nil
}

// Querier runs VelaQL queries against one cluster.
type Querier struct {
	c       client.Client
	members application.ClusterClients // for views reading with `cluster` set
	engine  *cue.Engine
}

// NewQuerier returns a Querier reading through c; members may be nil (the hub only).
func NewQuerier(c client.Client, members application.ClusterClients) (*Querier, error) {
	e, err := cue.New(cue.WithProviders(op.All()...), cue.WithWorkers(2), cue.WithRenderCache(0))
	if err != nil {
		return nil, err
	}
	return &Querier{c: c, members: members, engine: e}, nil
}

// Query runs q against the view it names.
func (q *Querier) Query(ctx context.Context, query *Query) (any, error) {
	tmpl, err := q.View(ctx, query.View)
	if err != nil {
		return nil, err
	}
	out, err := q.Run(ctx, tmpl, query.Parameter, query.Export)
	if err != nil {
		return nil, fmt.Errorf("view %s: %w", query.View, err)
	}
	return out, nil
}

// View reads the template of the view name.
func (q *Querier) View(ctx context.Context, name string) (string, error) {
	cm := &corev1.ConfigMap{}
	err := q.c.Get(ctx, client.ObjectKey{Namespace: Namespace, Name: name}, cm)
	if apierrors.IsNotFound(err) {
		return "", fmt.Errorf("%w: no ConfigMap %s/%s holds view %q (enable the addon that ships it, or run a view file with vela ql --file)",
			ErrViewNotFound, Namespace, name, name)
	}
	if err != nil {
		return "", fmt.Errorf("reading view %s: %w", name, err)
	}
	tmpl, ok := cm.Data[TemplateKey]
	if !ok {
		return "", fmt.Errorf("configmap %s/%s is not a view: it has no %q key", Namespace, name, TemplateKey)
	}
	return tmpl, nil
}

// Run evaluates the view template with parameter and returns its field export.
func (q *Querier) Run(ctx context.Context, template string, parameter map[string]any, export string) (any, error) {
	if export == "" {
		export = DefaultExport
	}
	env := &workflow.Env{Client: q.c, Namespace: "default"}
	if q.members != nil {
		env.ClientFor = q.members.Client
	}
	return workflow.Evaluate(ctx, q.engine, template, parameter, workflow.QueryHandlers(env), export)
}
