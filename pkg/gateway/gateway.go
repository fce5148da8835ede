// Package gateway is velad's built-in ingress controller: a reverse proxy on localhost that
// routes by the cluster's Ingresses to the ready endpoints of their Services.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"velad.io/velad/pkg/server"
)

// Embedded is the gateway's name as an embedded controller.
const Embedded = "gateway"

// Ports the gateway tries when Options.Addr is empty: 80, else the first free one from 8090.
const (
	defaultPort  = 80
	fallbackPort = 8090
	fallbackTry  = 100
)

// Options configure the gateway.
type Options struct {
	// Addr is the address to listen on; empty: 127.0.0.1:80, or the first free port from
	// 8090 when 80 is taken.
	Addr string
	// AddrFile, when set, receives the address the gateway listens on (removed on stop).
	AddrFile string
}

// NewEmbedded returns the gateway as a velad embedded controller: it syncs its caches,
// listens, writes its address to opts.AddrFile and calls ready.
func NewEmbedded(opts Options) server.Controller {
	return server.ControllerFunc{ControllerName: Embedded, Run: func(ctx context.Context, cfg *rest.Config, ready func()) error {
		return Run(ctx, cfg, opts, ready)
	}}
}

// Run serves the gateway for the cluster of cfg until ctx is done; ready is called once it
// accepts connections.
func Run(ctx context.Context, cfg *rest.Config, opts Options, ready func()) error {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	f := informers.NewSharedInformerFactory(cs, 0)
	ingresses := f.Networking().V1().Ingresses()
	r := &router{
		routes:   newRouteTable(ingresses.Lister()),
		services: f.Core().V1().Services().Lister(),
		slices:   f.Discovery().V1().EndpointSlices().Lister(),
		nodes:    f.Core().V1().Nodes().Lister(),
	}
	if _, err := ingresses.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { r.routes.changed() },
		UpdateFunc: func(any, any) { r.routes.changed() },
		DeleteFunc: func(any) { r.routes.changed() },
	}); err != nil {
		return fmt.Errorf("gateway: %w", err)
	}
	f.Start(ctx.Done())
	defer f.Shutdown()
	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("gateway: cache of %v did not sync", typ)
		}
	}
	ln, err := listen(opts.Addr)
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	if err := publishStatus(ctx, cs, ingresses, addr); err != nil {
		_ = ln.Close()
		return fmt.Errorf("gateway: %w", err)
	}
	if opts.AddrFile != "" {
		if err := os.MkdirAll(filepath.Dir(opts.AddrFile), 0o755); err != nil {
			_ = ln.Close()
			return fmt.Errorf("gateway: %w", err)
		}
		if err := os.WriteFile(opts.AddrFile, []byte(addr+"\n"), 0o644); err != nil {
			_ = ln.Close()
			return fmt.Errorf("gateway: writing its address: %w", err)
		}
		defer os.Remove(opts.AddrFile)
	}
	srv := &http.Server{Handler: r.handler(), ReadHeaderTimeout: 30 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	klog.InfoS("gateway listening", "addr", addr)
	ready()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("gateway: %w", err)
	}
	return nil
}

// listen binds addr, or with addr empty 127.0.0.1:80 and else the first free port from 8090.
func listen(addr string) (net.Listener, error) {
	if addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("gateway: cannot listen on %s: %w", addr, err)
		}
		return ln, nil
	}
	if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(defaultPort))); err == nil {
		return ln, nil
	}
	var last error
	for p := fallbackPort; p < fallbackPort+fallbackTry; p++ {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err == nil {
			return ln, nil
		}
		last = err
	}
	return nil, fmt.Errorf("gateway: 127.0.0.1:%d and ports %d-%d are all taken (last: %v); free one of them",
		defaultPort, fallbackPort, fallbackPort+fallbackTry-1, last)
}
