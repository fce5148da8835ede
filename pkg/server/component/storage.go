package component

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/logutil"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/kubernetes"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc/connectivity"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericfeatures "k8s.io/apiserver/pkg/features"
	"k8s.io/apiserver/pkg/registry/generic"
	"k8s.io/apiserver/pkg/storage"
	cacherstorage "k8s.io/apiserver/pkg/storage/cacher"
	"k8s.io/apiserver/pkg/storage/etcd3"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/apiserver/pkg/storage/storagebackend/factory"
	"k8s.io/apiserver/pkg/storage/value/encrypt/identity"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/tools/cache"
)

// sharedStorage builds the kube-apiserver's per-resource etcd3 stores on one etcd client per
// set of servers, instead of one client — one gRPC connection to kine with its own reader,
// writer, keepalive goroutines and buffers on both sides — per resource as
// k8s.io/apiserver's factory.newETCD3Storage does (~70 connections for an idle member, a few
// per custom resource more). kine is in-process and local, so one HTTP/2 connection carries
// every request and every watch (the etcd client multiplexes the watches of all resources on
// one watch stream; kine serves any number of watches per stream).
//
// What newETCD3Storage adds around etcd3.New is repeated here with the same exported pieces:
// the latency tracker on the client's KV (set once, on the shared client), the transformer
// (identity unless encryption at rest is configured), the decoder, the versioner, the
// compactor (one per client, at the configured --etcd-compaction-interval) and the
// corrupt-object wrappers behind the AllowUnsafeMalformedObjectDeletion gate. The watch cache
// goes on top as registry.StorageWithCacher does. A store's destroy func releases its
// reference; the client is closed when the last store using it is destroyed (at shutdown;
// custom-resource stores come and go with their CRDs while the built-in ones hold it open).
// Not carried over: the gRPC Prometheus and OpenTelemetry interceptors of the upstream
// client (etcd request latency metrics are still recorded by the store).
//
// Storage that kube-apiserver builds without a RESTOptionsGetter (the service IP and port
// allocators, the endpoint lease reconciler) and its health probes keep their own clients.
type sharedStorage struct {
	mu      sync.Mutex
	clients map[string]*sharedClient
}

// sharedClient is one etcd client with the stores that use it.
type sharedClient struct {
	client    *kubernetes.Client
	compactor etcd3.Compactor
	stop      func()
	refs      int
}

// newSharedStorage returns a sharedStorage with no client dialled yet.
func newSharedStorage() *sharedStorage {
	return &sharedStorage{clients: map[string]*sharedClient{}}
}

// wrap returns a getter whose stores use the shared clients; each resource keeps the watch
// cache (or none) that g configures for it.
func (s *sharedStorage) wrap(g generic.RESTOptionsGetter) generic.RESTOptionsGetter {
	if g == nil {
		return nil
	}
	return restOptionsGetter(func(resource schema.GroupResource, example runtime.Object) (generic.RESTOptions, error) {
		opts, err := g.GetRESTOptions(resource, example)
		if err != nil {
			return opts, err
		}
		// The etcd options give either generic.UndecoratedStorage (watch cache disabled for
		// the resource) or registry.StorageWithCacher(); a func is only comparable by its code.
		undecorated := reflect.ValueOf(opts.Decorator).Pointer() == reflect.ValueOf(generic.UndecoratedStorage).Pointer()
		opts.Decorator = s.decorator(!undecorated, opts.Decorator)
		return opts, nil
	})
}

// decorator builds a store on the shared client, with a watch cache when cached. A
// configuration it does not handle (another storage type, an egress dialer) goes to the
// original decorator.
func (s *sharedStorage) decorator(cached bool, original generic.StorageDecorator) generic.StorageDecorator {
	return func(config *storagebackend.ConfigForResource, resourcePrefix string,
		cacheKeyFunc func(obj runtime.Object) (string, error), newFunc, newListFunc func() runtime.Object,
		getAttrsFunc storage.AttrFunc, triggerFuncs storage.IndexerFuncs, indexers *cache.Indexers,
	) (storage.Interface, factory.DestroyFunc, error) {
		if (config.Type != storagebackend.StorageTypeUnset && config.Type != storagebackend.StorageTypeETCD3) || config.Transport.EgressLookup != nil {
			return original(config, resourcePrefix, cacheKeyFunc, newFunc, newListFunc, getAttrsFunc, triggerFuncs, indexers)
		}
		raw, destroyRaw, err := s.rawStorage(config, newFunc, newListFunc, resourcePrefix, !cached)
		if err != nil || !cached {
			return raw, destroyRaw, err
		}
		cacher, err := cacherstorage.NewCacherFromConfig(cacherstorage.Config{
			Storage:             raw,
			Versioner:           storage.APIObjectVersioner{},
			GroupResource:       config.GroupResource,
			EventsHistoryWindow: config.EventsHistoryWindow,
			ResourcePrefix:      resourcePrefix,
			KeyFunc:             cacheKeyFunc,
			NewFunc:             newFunc,
			NewListFunc:         newListFunc,
			GetAttrsFunc:        getAttrsFunc,
			IndexerFuncs:        triggerFuncs,
			Indexers:            indexers,
			Codec:               config.Codec,
		})
		if err != nil {
			destroyRaw()
			return nil, func() {}, err
		}
		delegator := cacherstorage.NewCacheDelegator(cacher, raw)
		var once sync.Once
		return delegator, func() {
			once.Do(func() {
				delegator.Stop()
				cacher.Stop()
				destroyRaw()
			})
		}, nil
	}
}

// rawStorage is factory.newETCD3Storage on a shared client.
func (s *sharedStorage) rawStorage(c *storagebackend.ConfigForResource, newFunc, newListFunc func() runtime.Object, resourcePrefix string, direct bool) (storage.Interface, factory.DestroyFunc, error) {
	client, compactor, release, err := s.acquire(c.Transport, c.CompactionInterval, direct)
	if err != nil {
		return nil, nil, err
	}
	transformer := c.Transformer
	if transformer == nil {
		transformer = identity.NewEncryptCheckTransformer()
	}
	versioner := storage.APIObjectVersioner{}
	decoder := etcd3.NewDefaultDecoder(c.Codec, versioner)
	unsafeDeletion := utilfeature.DefaultFeatureGate.Enabled(genericfeatures.AllowUnsafeMalformedObjectDeletion)
	if unsafeDeletion {
		transformer = etcd3.WithCorruptObjErrorHandlingTransformer(transformer)
		decoder = etcd3.WithCorruptObjErrorHandlingDecoder(decoder)
	}
	store, err := etcd3.New(client, compactor, c.Codec, newFunc, newListFunc, c.Prefix, resourcePrefix, c.GroupResource, transformer, c.LeaseManagerConfig, decoder, versioner)
	if err != nil {
		release()
		return nil, nil, err
	}
	var once sync.Once
	destroy := func() { // called more than once for stores shared by subresources
		once.Do(func() {
			store.Close()
			release()
		})
	}
	var out storage.Interface = store
	if unsafeDeletion {
		out = etcd3.NewStoreWithUnsafeCorruptObjectDeletion(out, c.GroupResource)
	}
	return out, destroy, nil
}

// acquire returns the client for the transport (dialling it on first use) and a func that
// releases the reference; the last release stops the compactor and closes the client. Stores
// without a watch cache (direct) get a client of their own: kine reports a watch stream's
// progress (which a watch cache waits for before it serves a consistent list) only while every
// watch on the stream has seen the latest revision, and a watch without progress
// notifications — a client's watch served straight from etcd — is only told about revisions
// that touch its keys, so it holds back the progress of the watch caches on its stream (a
// consistent list then waits for kine's periodic 5 s notification).
func (s *sharedStorage) acquire(t storagebackend.TransportConfig, compaction time.Duration, direct bool) (*kubernetes.Client, etcd3.Compactor, func(), error) {
	key := fmt.Sprintf("%v|%s|%s|%s|%v", t.ServerList, t.CertFile, t.KeyFile, t.TrustedCAFile, direct)
	s.mu.Lock()
	defer s.mu.Unlock()
	sc := s.clients[key]
	if sc == nil {
		client, err := dialETCD(t)
		if err != nil {
			return nil, nil, nil, err
		}
		// Decorate the KV once so that each request's etcd latency is tracked.
		client.KV = etcd3.NewETCDLatencyTracker(client.KV)
		sc = &sharedClient{client: client, stop: func() {}}
		// The compactor runs on the client of the cached stores: only a watch cache reads
		// the compacted revision (to trim its history); a store without one reports 0, as
		// upstream's with compaction off.
		if compaction != 0 && !direct {
			c := etcd3.StartCompactorPerEndpoint(client.Client, compaction)
			sc.compactor, sc.stop = c, c.Stop
		}
		s.clients[key] = sc
	}
	sc.refs++
	var once sync.Once
	return sc.client, sc.compactor, func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if sc.refs--; sc.refs == 0 {
				sc.stop()
				_ = sc.client.Close()
				delete(s.clients, key)
			}
		})
	}, nil
}

// etcdLogger is the one logger of the shared clients (errors only, as upstream's default).
var etcdLogger = sync.OnceValue(func() *zap.Logger {
	l, err := logutil.CreateDefaultZapLogger(zapcore.ErrorLevel)
	if err != nil {
		return zap.NewNop()
	}
	return l.Named("etcd-client")
})

// dialETCD is factory.newETCD3Client without the interceptors: same timeouts and keepalive,
// TLS only when certificates are configured, and it waits for the connection to be ready.
func dialETCD(t storagebackend.TransportConfig) (*kubernetes.Client, error) {
	const dialTimeout = 20 * time.Second
	cfg := clientv3.Config{
		DialTimeout:          dialTimeout,
		DialKeepAliveTime:    30 * time.Second,
		DialKeepAliveTimeout: 10 * time.Second,
		Endpoints:            t.ServerList,
		Logger:               etcdLogger(),
	}
	if t.CertFile != "" || t.KeyFile != "" || t.TrustedCAFile != "" {
		tlsConfig, err := (transport.TLSInfo{CertFile: t.CertFile, KeyFile: t.KeyFile, TrustedCAFile: t.TrustedCAFile}).ClientConfig()
		if err != nil {
			return nil, err
		}
		cfg.TLS = tlsConfig
	}
	client, err := kubernetes.New(cfg)
	if err != nil {
		return nil, err
	}
	if err := waitReady(client, dialTimeout); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("connecting to etcd %v: %w", t.ServerList, err)
	}
	return client, nil
}

// waitReady is factory.blockUntilReady: it waits until the gRPC connection is ready.
func waitReady(client *kubernetes.Client, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	conn := client.ActiveConnection()
	if conn == nil {
		return errors.New("no grpc connection")
	}
	for {
		state := conn.GetState()
		switch state {
		case connectivity.Ready:
			return nil
		case connectivity.Idle:
			conn.Connect()
		}
		if !conn.WaitForStateChange(ctx, state) {
			return ctx.Err()
		}
	}
}

// restOptionsGetter is a generic.RESTOptionsGetter func.
type restOptionsGetter func(schema.GroupResource, runtime.Object) (generic.RESTOptions, error)

// GetRESTOptions implements generic.RESTOptionsGetter.
func (f restOptionsGetter) GetRESTOptions(resource schema.GroupResource, example runtime.Object) (generic.RESTOptions, error) {
	return f(resource, example)
}
