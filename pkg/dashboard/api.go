package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/embedded"
	"velad.io/velad/pkg/addon"
	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/application"
	"velad.io/velad/pkg/cluster"
	"velad.io/velad/pkg/log"
	"velad.io/velad/pkg/multicluster"
	"velad.io/velad/pkg/velaql"
)

// App is one Application as the dashboard lists it.
type App struct {
	// Name and Namespace identify the Application.
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// Phase is status.status (running, workflowSuspending, ...).
	Phase string `json:"phase"`
	// Message summarises the phase, the current step and failures.
	Message string `json:"message"`
	// Clusters are the clusters its components were delivered to.
	Clusters []string `json:"clusters"`
	// Components are the per-component health reports.
	Components []Component `json:"components"`
	// Addon names the addon the Application belongs to, if any.
	Addon string `json:"addon,omitempty"`
	// Resources are what it owns, with their live state (detail only).
	Resources []application.Resource `json:"resources,omitempty"`
}

// Component is one component's health in one cluster.
type Component struct {
	// Name of the component.
	Name string `json:"name"`
	// Cluster and Namespace it was delivered to.
	Cluster   string `json:"cluster"`
	Namespace string `json:"namespace,omitempty"`
	// Healthy is its health policy's verdict; Message its custom status.
	Healthy bool   `json:"healthy"`
	Message string `json:"message,omitempty"`
}

// api serves the JSON endpoints.
type api struct {
	c       client.Client
	members application.ClusterClients
	addons  *addonCache
	ql      *velaql.Querier
}

// addonCatalogTTL bounds how long the dashboard keeps the catalogs it read from the
// registries (their index.yaml, git checkout): an addon version published later shows
// after at most this long. Adding, updating or deleting a registry shows at once.
const addonCatalogTTL = time.Minute

// addonCache keeps one addon.Manager (built once) and its view with the stored registries,
// made again when the stored registries change or the view is addonCatalogTTL old.
type addonCache struct {
	base *addon.Manager

	mu      sync.Mutex
	view    *addon.Manager
	version string
	made    time.Time
}

// get returns the current view.
func (c *addonCache) get(ctx context.Context) (*addon.Manager, error) {
	view, version, err := c.base.WithStoredRegistries(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.view == nil || c.version != version || time.Since(c.made) >= addonCatalogTTL {
		c.view, c.version, c.made = view, version, time.Now()
	}
	return c.view, nil
}

// NewHandler returns the dashboard's HTTP handler reading through c (cfg builds the addon
// manager and member cluster clients): the page at /, and GET /api/v1/applications,
// /api/v1/applications/{namespace}/{name}, /api/v1/addons, /api/v1/query?velaql= and /healthz.
func NewHandler(c client.Client, cfg *rest.Config) (http.Handler, error) {
	members := multicluster.NewClientCache(c, cfg)
	ql, err := velaql.NewQuerier(c, members)
	if err != nil {
		return nil, err
	}
	m, err := addon.New(cfg, addon.Options{Logger: log.Noop{}, CacheDir: cluster.AddonRegistryCacheDir()})
	if err != nil {
		return nil, err
	}
	a := &api{c: c, members: members, ql: ql, addons: &addonCache{base: m}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/applications", a.listApps)
	mux.HandleFunc("GET /api/v1/applications/{namespace}/{name}", a.getApp)
	mux.HandleFunc("GET /api/v1/addons", a.listAddons)
	mux.HandleFunc("GET /api/v1/query", a.query)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.Handle("GET /", http.FileServerFS(embedded.Dashboard()))
	return localHostOnly(mux), nil
}

// localHostOnly refuses requests whose Host is not a loopback name or address: the
// dashboard has no login and listens on 127.0.0.1, so a web page that rebinds its own domain
// to 127.0.0.1 (DNS rebinding) must not read it through the user's browser.
func localHostOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		ip := net.ParseIP(strings.Trim(host, "[]"))
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			http.Error(w, "the dashboard answers only requests for localhost or 127.0.0.1", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// query answers a VelaQL statement (?velaql=view{k=v}.field) with the exported value, as
// VelaUX's /api/v1/query does.
func (a *api) query(w http.ResponseWriter, r *http.Request) {
	q, err := velaql.ParseQuery(r.URL.Query().Get("velaql"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	out, err := a.ql.Query(r.Context(), q)
	switch {
	case errors.Is(err, velaql.ErrViewNotFound):
		writeError(w, http.StatusNotFound, err)
	case err != nil:
		writeError(w, http.StatusInternalServerError, err)
	default:
		writeJSON(w, http.StatusOK, out)
	}
}

func (a *api) listApps(w http.ResponseWriter, r *http.Request) {
	var list v1beta1.ApplicationList
	var opts []client.ListOption
	if ns := r.URL.Query().Get("namespace"); ns != "" {
		opts = append(opts, client.InNamespace(ns))
	}
	if err := a.c.List(r.Context(), &list, opts...); err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	apps := make([]App, 0, len(list.Items))
	for i := range list.Items {
		apps = append(apps, summarize(&list.Items[i]))
	}
	sort.Slice(apps, func(i, j int) bool {
		if apps[i].Namespace != apps[j].Namespace {
			return apps[i].Namespace < apps[j].Namespace
		}
		return apps[i].Name < apps[j].Name
	})
	writeJSON(w, http.StatusOK, map[string]any{"applications": apps})
}

func (a *api) getApp(w http.ResponseWriter, r *http.Request) {
	app, err := application.Get(r.Context(), a.c, r.PathValue("namespace"), r.PathValue("name"))
	if err != nil {
		code := http.StatusInternalServerError
		if application.IsNotFound(err) {
			code = http.StatusNotFound
		}
		writeError(w, code, err)
		return
	}
	out := summarize(app)
	if out.Resources, err = application.ResourcesIn(r.Context(), a.c, app, a.members); err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *api) listAddons(w http.ResponseWriter, r *http.Request) {
	m, err := a.addons.get(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	items, errs := m.List(r.Context())
	if items == nil && len(errs) > 0 {
		writeError(w, http.StatusInternalServerError, errs[0])
		return
	}
	warnings := make([]string, 0, len(errs))
	for _, e := range errs {
		warnings = append(warnings, e.Error())
	}
	writeJSON(w, http.StatusOK, map[string]any{"addons": items, "warnings": warnings})
}

// summarize lists app without its resources.
func summarize(app *v1beta1.Application) App {
	out := App{Name: app.Name, Namespace: app.Namespace, Phase: string(app.Status.Phase), Message: application.Describe(app),
		Addon: app.Labels[addon.LabelName], Clusters: []string{}, Components: []Component{}}
	seen := map[string]bool{}
	for _, s := range app.Status.Services {
		cluster := s.Cluster
		if cluster == "" {
			cluster = application.LocalCluster
		}
		if !seen[cluster] {
			seen[cluster] = true
			out.Clusters = append(out.Clusters, cluster)
		}
		out.Components = append(out.Components, Component{Name: s.Name, Cluster: cluster, Namespace: s.Namespace, Healthy: s.Healthy, Message: s.Message})
	}
	sort.Strings(out.Clusters)
	return out
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers {"message": ...} with code.
func writeError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, map[string]string{"message": err.Error()})
}
