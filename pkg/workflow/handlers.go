package workflow

import (
	"context"
	"net/http"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/cue/provider"
)

// Dispatcher applies objects and components for one Application; the
// controller implements it so every apply is stamped and tracked the same way.
// Its methods are called concurrently by the steps of a DAG level.
type Dispatcher interface {
	// Components returns the Application's components as written, in spec order.
	Components() []map[string]any
	// Policy returns the type and properties of the named policy of the Application.
	Policy(name string) (typ string, properties map[string]any, ok bool)
	// ApplyComponent renders the component value (name, type, properties,
	// traits) and applies it to cluster/namespace ("" = the Application's).
	// It returns the live workload and the live auxiliary and trait objects by
	// output name, or a *WaitError while the component is not healthy yet.
	ApplyComponent(ctx context.Context, comp map[string]any, cluster, namespace string) (output map[string]any, outputs map[string]any, err error)
	// Apply server-side applies obj (namespace defaulted to the Application's)
	// and records it as a resource of the Application.
	Apply(ctx context.Context, obj *unstructured.Unstructured) error
}

// Renderer is implemented by a Dispatcher that can render a component without applying it
// (vela/op #RenderComponent).
type Renderer interface {
	// RenderComponent renders the component value (name, type, properties, traits) and
	// returns its workload and its auxiliary and trait objects by output name.
	RenderComponent(ctx context.Context, comp map[string]any) (output map[string]any, outputs map[string]any, err error)
}

// Forgetter is implemented by a Dispatcher that records what steps apply: Forget is told of
// an object a step deleted, so it is not applied again (state keeping).
type Forgetter interface {
	// Forget marks obj as deleted.
	Forget(ctx context.Context, obj *unstructured.Unstructured) error
}

// ClusterApplier is implemented by Dispatchers that also apply (and forget)
// objects a step handles itself in a member cluster (vela/kube with `cluster`).
type ClusterApplier interface {
	// ApplyIn is Dispatcher.Apply in the named member cluster.
	ApplyIn(ctx context.Context, cluster string, obj *unstructured.Unstructured) error
	// ForgetIn is Forgetter.Forget for an object of the named member cluster.
	ForgetIn(ctx context.Context, cluster string, obj *unstructured.Unstructured) error
}

// Env is what the action handlers of one workflow run work with.
type Env struct {
	// Client reads, lists and deletes objects.
	Client client.Client
	// Dispatcher applies objects and components.
	Dispatcher Dispatcher
	// HTTP sends the requests of vela/http (default http.DefaultClient).
	HTTP *http.Client
	// Namespace is the Application's namespace, the default for objects.
	Namespace string
	// App is the Application's name.
	App string
	// Clusters lists the joined member clusters for topology policies and
	// list-clusters (nil: there are none, only "local").
	Clusters func(ctx context.Context) ([]ClusterInfo, error)
	// ClientFor returns the client of a member cluster for vela/kube actions
	// naming one (nil: the hub only).
	ClientFor func(ctx context.Context, cluster string) (client.Client, error)
}

// NewHandlers returns the Go side of the vela/op actions for env: kube
// (apply, read, list, delete), http (do), oam (load, component-apply, ...),
// multicluster (deploy, list-clusters), query
// (collectServiceEndpoints, listResourcesInApp) and email (send). The builtin flow-control actions are run by the
// engine itself.
func NewHandlers(env *Env) Handlers {
	if env.HTTP == nil {
		env.HTTP = http.DefaultClient
	}
	k := &kubeActions{env: env}
	o := &oamActions{env: env}
	return Handlers{
		"kube": {
			"apply": k.apply, "apply-in-parallel": k.applyInParallel,
			"read": k.read, "list": k.list, "delete": k.delete,
		},
		"http": {"do": (&httpActions{client: env.HTTP}).do},
		"oam": {
			"load": o.load, "load-comps-in-order": o.loadInOrder, "component-apply": o.applyComponent, "component-render": o.renderComponent,
			"apply-application": o.applyAll, "apply-application-in-parallel": o.applyAll,
			"apply-remaining": o.applyAll,
		},
		"multicluster": {"deploy": o.deploy, "list-clusters": o.listClusters},
		"query":        {"collectServiceEndpoints": k.collectServiceEndpoints, "listResourcesInApp": k.listResourcesInApp},
		"email":        {"send": sendEmail},
	}
}

var _ provider.Handler = (&kubeActions{}).read

// listClusters returns "local" and the joined clusters.
func (o *oamActions) listClusters(ctx context.Context, _ map[string]any) (map[string]any, error) {
	names := []any{LocalCluster}
	if o.env.Clusters != nil {
		members, err := o.env.Clusters(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			names = append(names, m.Name)
		}
	}
	return map[string]any{"outputs": map[string]any{"clusters": names}}, nil
}
