package helm

import (
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// restGetter gives the Helm SDK clients for one cluster with a default namespace.
type restGetter struct {
	cfg       *rest.Config
	namespace string
	dc        discovery.CachedDiscoveryInterface
	mapper    meta.RESTMapper
}

func newRESTGetter(cfg *rest.Config, dc discovery.CachedDiscoveryInterface, namespace string) *restGetter {
	return &restGetter{cfg: cfg, namespace: namespace, dc: dc, mapper: restmapper.NewDeferredDiscoveryRESTMapper(dc)}
}

// newCachedDiscovery is a discovery client that caches until invalidated (Helm invalidates
// it before each action).
func newCachedDiscovery(cfg *rest.Config) (discovery.CachedDiscoveryInterface, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	return memory.NewMemCacheClient(dc), nil
}

func (g *restGetter) ToRESTConfig() (*rest.Config, error) { return rest.CopyConfig(g.cfg), nil }

func (g *restGetter) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	return g.dc, nil
}

func (g *restGetter) ToRESTMapper() (meta.RESTMapper, error) { return g.mapper, nil }

func (g *restGetter) ToRawKubeConfigLoader() clientcmd.ClientConfig {
	return clientcmd.NewDefaultClientConfig(*clientcmdapi.NewConfig(), &clientcmd.ConfigOverrides{
		Context: clientcmdapi.Context{Namespace: g.namespace},
	})
}
