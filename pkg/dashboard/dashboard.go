package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/addon"
	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/application"
	"velad.io/velad/pkg/server"
)

// Embedded is the dashboard's name as an embedded controller.
const Embedded = "dashboard"

// Names of what turns the dashboard on.
const (
	// Addon is the addon whose Application delivers ConfigName.
	Addon = "velaux"
	// ConfigName is the ConfigMap in addon.Namespace that turns the dashboard on.
	ConfigName = "velaux-dashboard"
	// PortKey is the ConfigMap key holding the port.
	PortKey = "port"
	// DefaultPort is used when the ConfigMap names none.
	DefaultPort = 8000
	// portTries is how many ports from the configured one are tried.
	portTries = 100
	// fieldManager writes the URL annotation.
	fieldManager = "velad-dashboard"
)

// NewEmbedded returns the dashboard as a velad embedded controller: it watches ConfigName
// and serves while it exists. It is ready once its watch has synced.
func NewEmbedded() server.Controller {
	return server.ControllerFunc{ControllerName: Embedded, Run: Run}
}

// Run watches ConfigName in the cluster of cfg and serves the dashboard while it exists,
// until ctx is done; ready is called once the watch has synced.
func Run(ctx context.Context, cfg *rest.Config, ready func()) error {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	c, err := application.NewClient(cfg)
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	f := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithNamespace(addon.Namespace),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.FieldSelector = fields.OneTermEqualSelector("metadata.name", ConfigName).String()
		}))
	cms := f.Core().V1().ConfigMaps()
	changed := make(chan struct{}, 1)
	poke := func(any) {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	if _, err := cms.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: poke, UpdateFunc: func(_, n any) { poke(n) }, DeleteFunc: poke,
	}); err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	f.Start(ctx.Done())
	defer f.Shutdown()
	if !cache.WaitForCacheSync(ctx.Done(), cms.Informer().HasSynced) {
		return ctx.Err()
	}
	ready()
	s := &serving{c: c, cfg: cfg}
	defer s.stop(ctx) // ctx is done by then: the server stops, the URL is left (velad is stopping)
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	for {
		cm, err := cms.Lister().ConfigMaps(addon.Namespace).Get(ConfigName)
		if apierrors.IsNotFound(err) {
			cm = nil
		} else if err != nil {
			return fmt.Errorf("dashboard: %w", err)
		}
		if err := s.sync(ctx, cm); err != nil {
			klog.ErrorS(err, "dashboard: will retry")
			retry.Reset(5 * time.Second)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-retry.C:
		}
	}
}

// serving is the dashboard's HTTP server, running or not.
type serving struct {
	c   client.Client
	cfg *rest.Config
	// handler is built when the dashboard first serves (a velad that never serves it pays nothing).
	handler http.Handler
	srv     *http.Server
	// want is the port asked for; url what is served and published.
	want      int
	url       string
	published string
}

// sync serves for cm (nil: stops) and publishes the URL on the addon Application.
func (s *serving) sync(ctx context.Context, cm *corev1.ConfigMap) error {
	if cm == nil {
		s.stop(ctx)
		return nil
	}
	port := DefaultPort
	if p := cm.Data[PortKey]; p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return fmt.Errorf("configmap %s/%s: %s %q is not a port (1-65535): fix it with vela addon enable %s port=<n>",
				addon.Namespace, ConfigName, PortKey, p, Addon)
		}
		port = n
	}
	if s.srv == nil || s.want != port {
		s.stop(ctx)
		if err := s.start(port); err != nil {
			return err
		}
	}
	return s.publish(ctx, s.url)
}

func (s *serving) start(port int) error {
	if s.handler == nil {
		h, err := NewHandler(s.c, s.cfg)
		if err != nil {
			return err
		}
		s.handler = h
	}
	ln, err := listenFrom(port)
	if err != nil {
		return err
	}
	s.srv = &http.Server{Handler: s.handler, ReadHeaderTimeout: 30 * time.Second}
	s.want, s.url = port, "http://"+ln.Addr().String()
	go func(srv *http.Server) {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			klog.ErrorS(err, "dashboard: serving")
		}
	}(s.srv)
	klog.InfoS("dashboard serving", "url", s.url)
	return nil
}

// stop shuts the server down (connections are refused afterwards) and withdraws the URL.
func (s *serving) stop(ctx context.Context) {
	if s.srv == nil {
		return
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(sctx)
	klog.InfoS("dashboard stopped", "url", s.url)
	s.srv, s.url, s.want = nil, "", 0
	if ctx.Err() == nil {
		if err := s.publish(ctx, ""); err != nil {
			klog.V(2).InfoS("dashboard: withdrawing the URL", "err", err)
		}
	}
}

// publish sets (or with url empty, removes) addon.AnnotationURL on the velaux Application.
func (s *serving) publish(ctx context.Context, url string) error {
	if url == s.published {
		return nil
	}
	var val any
	if url != "" {
		val = url
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{addon.AnnotationURL: val}}})
	if err != nil {
		return err
	}
	app := &v1beta1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: addon.Namespace, Name: addon.AppName(Addon)}}
	err = s.c.Patch(ctx, app, client.RawPatch(types.MergePatchType, patch), client.FieldOwner(fieldManager))
	if apierrors.IsNotFound(err) && url == "" {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("publishing the dashboard URL on application %s/%s: %w", addon.Namespace, app.Name, err)
	}
	s.published = url
	return nil
}

// listenFrom binds 127.0.0.1:port, or the first free port of the portTries after it.
func listenFrom(port int) (net.Listener, error) {
	var last error
	for p := port; p < port+portTries && p <= 65535; p++ {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err == nil {
			return ln, nil
		}
		last = err
	}
	return nil, fmt.Errorf("dashboard: ports %d-%d on 127.0.0.1 are all taken (last: %v): enable velaux with another port=<n>",
		port, port+portTries-1, last)
}
