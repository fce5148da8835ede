package component

import (
	"bytes"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	restful "github.com/emicklei/go-restful/v3"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/mux"
	"k8s.io/apiserver/pkg/server/routes"
	aggregatorapiserver "k8s.io/kube-aggregator/pkg/apiserver"
	"k8s.io/kube-openapi/pkg/builder"
	"k8s.io/kube-openapi/pkg/cached"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/common/restfuladapter"
	"k8s.io/kube-openapi/pkg/handler"
	"k8s.io/kube-openapi/pkg/handler3"
	"k8s.io/kube-openapi/pkg/validation/spec"
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
)

// lazyOpenAPI serves kube-apiserver's own /openapi/v2 and /openapi/v3 (the built-in APIs; the
// aggregator merges them with the CRDs' and the APIServices' documents) without keeping the
// documents in memory while nobody asks for them. Upstream builds both at PrepareRun and keeps
// them for the life of the process: the v2 document (~13 MB of live heap), one v3 document per
// group version (~11 MB) and, once the aggregator has read the v3 discovery at start, the JSON
// of every v3 document (~8 MB), since the discovery's hashes are those of the JSON.
//
// Here the v2 document is built on the first request and kept from then on, as upstream keeps
// it. The v3 documents are built one by one at start only to take their hash for the discovery
// document, then dropped; a request for one group version builds it again through upstream's
// own code (routes.OpenAPI.InstallV3 over that one web service, then handler3's handler), so
// the bytes, hashes, headers, redirects and content negotiation are upstream's.
type lazyOpenAPI struct {
	v2 *common.Config
	v3 *common.OpenAPIV3Config

	// services maps a group version ("api/v1", "apis/apps/v1") to its web service.
	services map[string]*restful.WebService
	// discovery is the /openapi/v3 document and its ETag.
	discovery     []byte
	discoveryETag string
	discoveryTime time.Time
	// build serialises the builds of v3 documents, so that concurrent requests do not hold
	// several copies of the definitions at once.
	build sync.Mutex
}

// skipOpenAPI makes the kube-apiserver's generic server install no OpenAPI handler of its
// own: installOpenAPI installs the lazy ones instead.
func skipOpenAPI(kube *genericapiserver.Config) {
	kube.SkipOpenAPIInstallation = true
}

// installOpenAPI installs the lazy /openapi/v2 and /openapi/v3 handlers on the kube-apiserver
// server, which must come before PrepareRun of the chain (the aggregator reads the v3
// discovery of its delegates there). v2 and v3 are the configs the server was built with.
func installOpenAPI(kube *genericapiserver.GenericAPIServer, v2 *common.Config, v3 *common.OpenAPIV3Config) error {
	o := &lazyOpenAPI{v2: v2, v3: v3, services: map[string]*restful.WebService{}}
	webServices := kube.Handler.GoRestfulContainer.RegisteredWebServices()
	if v2 != nil {
		o.installV2(webServices, kube.Handler.NonGoRestfulMux)
	}
	if v3 == nil {
		return nil
	}
	for _, ws := range webServices {
		// As routes.OpenAPI.InstallV3: the root path without its "/", the last one wins.
		o.services[ws.RootPath()[1:]] = ws
	}
	if err := o.buildDiscovery(); err != nil {
		return err
	}
	kube.Handler.NonGoRestfulMux.Handle("/openapi/v3", http.HandlerFunc(o.serveDiscovery))
	kube.Handler.NonGoRestfulMux.HandlePrefix("/openapi/v3/", http.HandlerFunc(o.serveGroupVersion))
	return nil
}

// installV2 registers /openapi/v2 with the document built as routes.OpenAPI.InstallV2 builds
// it, on the first request.
func (o *lazyOpenAPI) installV2(webServices []*restful.WebService, m *mux.PathRecorderMux) {
	build := cached.Func(func() (*spec.Swagger, string, error) {
		s, err := builder.BuildOpenAPISpecFromRoutes(restfuladapter.AdaptWebServices(webServices), o.v2)
		if err != nil {
			return nil, "", fmt.Errorf("building the OpenAPI v2 document: %w", err)
		}
		s.Definitions = handler.PruneDefaults(s.Definitions)
		return s, "built-in", nil
	})
	handler.NewOpenAPIServiceLazy(cached.Once(build)).RegisterOpenAPIVersionedService("/openapi/v2", m)
}

// installKubeOpenAPI installs lazyOpenAPI on the kube-apiserver server of the chain (the
// aggregator's delegate).
func installKubeOpenAPI(server *aggregatorapiserver.APIAggregator, completed apiserverapp.CompletedConfig) error {
	kube, ok := server.GenericAPIServer.NextDelegate().(*genericapiserver.GenericAPIServer)
	if !ok {
		return fmt.Errorf("the aggregator's delegate is a %T, not kube-apiserver's server", server.GenericAPIServer.NextDelegate())
	}
	generic := completed.KubeAPIs.ControlPlane.Generic
	return installOpenAPI(kube, generic.OpenAPIConfig, generic.OpenAPIV3Config)
}

// openAPIConfigs returns the OpenAPI v2 and v3 configs of the three servers of the chain
// (kube-apiserver, apiextensions, aggregator); an entry may be nil.
func openAPIConfigs(completed apiserverapp.CompletedConfig) ([]*common.Config, []*common.OpenAPIV3Config) {
	kube, ext, agg := completed.KubeAPIs.ControlPlane.Generic, completed.ApiExtensions.GenericConfig, completed.Aggregator.GenericConfig
	return []*common.Config{kube.OpenAPIConfig, ext.OpenAPIConfig, agg.OpenAPIConfig},
		[]*common.OpenAPIV3Config{kube.OpenAPIV3Config, ext.OpenAPIV3Config, agg.OpenAPIV3Config}
}

// detachOperationIDs sets GetOperationIDAndTagsFromRoute of the OpenAPI configs to upstream's
// mapping of GetOperationIDAndTags, before any document is built. Otherwise the first builder
// run on a config sets it to a closure over that builder (kube-openapi's builder and builder3
// newOpenAPI), and the shared config then keeps the builder alive for the life of the process,
// with every definition it materialised: ~9 MB of live heap for the v2 build of the
// apiextensions server.
func detachOperationIDs(completed apiserverapp.CompletedConfig) {
	detach := func(fromRoute *func(common.Route) (string, []string, error), get func(*restful.Route) (string, []string, error)) {
		if *fromRoute != nil || get == nil {
			return
		}
		*fromRoute = func(r common.Route) (string, []string, error) {
			route, ok := r.(*restfuladapter.RouteAdapter)
			if !ok {
				return "", nil, fmt.Errorf("config.GetOperationIDAndTags specified but route is not a restful v1 Route")
			}
			return get(route.Route)
		}
	}
	v2, v3 := openAPIConfigs(completed)
	for _, c := range v2 {
		if c != nil {
			detach(&c.GetOperationIDAndTagsFromRoute, c.GetOperationIDAndTags)
		}
	}
	for _, c := range v3 {
		if c != nil {
			detach(&c.GetOperationIDAndTagsFromRoute, c.GetOperationIDAndTags)
		}
	}
}

// dropOpenAPIV3Definitions drops the definitions DefaultOpenAPIV3Config materialised once for
// every v3 build (~5–7 MB), once PrepareRun has built what it builds at start: a later build
// (a v3 document on request) calls GetDefinitions, which returns the same definitions.
func dropOpenAPIV3Definitions(completed apiserverapp.CompletedConfig) {
	_, v3 := openAPIConfigs(completed)
	for _, c := range v3 {
		if c != nil && c.GetDefinitions != nil {
			c.Definitions = nil
		}
	}
}

// groupVersionService returns upstream's v3 service holding the document of one group
// version only, built now.
func (o *lazyOpenAPI) groupVersionService(ws *restful.WebService) *handler3.OpenAPIService {
	c := restful.NewContainer()
	c.Add(ws)
	return routes.OpenAPI{V3Config: o.v3}.InstallV3(c, mux.NewPathRecorderMux("openapi-v3"))
}

// buildDiscovery builds every group version's document once, one at a time, and keeps only
// its entry of the discovery document (the path with the document's hash).
func (o *lazyOpenAPI) buildDiscovery() error {
	o.build.Lock()
	defer o.build.Unlock()
	doc := handler3.OpenAPIV3Discovery{Paths: map[string]handler3.OpenAPIV3DiscoveryGroupVersion{}}
	for gv, ws := range o.services {
		rec := httptest.NewRecorder()
		o.groupVersionService(ws).HandleDiscovery(rec, httptest.NewRequest(http.MethodGet, "/openapi/v3", nil))
		var one handler3.OpenAPIV3Discovery
		if err := json.Unmarshal(rec.Body.Bytes(), &one); err != nil {
			return fmt.Errorf("OpenAPI v3 discovery of %s: %w", gv, err)
		}
		entry, ok := one.Paths[gv]
		if !ok {
			// upstream logs a group version whose document fails to build and leaves it out.
			continue
		}
		doc.Paths[gv] = entry
	}
	j, err := json.Marshal(&doc)
	if err != nil {
		return err
	}
	o.discovery, o.discoveryETag, o.discoveryTime = j, handler3ETag(j), time.Now()
	return nil
}

// serveDiscovery serves /openapi/v3 as handler3.OpenAPIService.HandleDiscovery does.
func (o *lazyOpenAPI) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Etag", strconv.Quote(o.discoveryETag))
	w.Header().Set("Content-Type", "application/json")
	http.ServeContent(w, r, "/openapi/v3", o.discoveryTime, bytes.NewReader(o.discovery))
}

// handler3ETag is handler3's ETag of a document: the SHA-512 of its bytes in upper-case hex.
func handler3ETag(data []byte) string {
	return fmt.Sprintf("%X", sha512.Sum512(data))
}

// serveGroupVersion serves /openapi/v3/<group version> from a document built for this request.
func (o *lazyOpenAPI) serveGroupVersion(w http.ResponseWriter, r *http.Request) {
	parts := strings.SplitAfterN(r.URL.Path, "/", 4)
	var ws *restful.WebService
	if len(parts) == 4 {
		ws = o.services[parts[3]]
	}
	if ws == nil {
		// upstream's answer for a group version it does not serve.
		handler3.NewOpenAPIService().HandleGroupVersion(w, r)
		return
	}
	o.build.Lock()
	svc := o.groupVersionService(ws)
	o.build.Unlock()
	svc.HandleGroupVersion(w, r)
}
