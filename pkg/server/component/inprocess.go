package component

import (
	"context"
	"net/http"

	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	schedapp "k8s.io/kubernetes/cmd/kube-scheduler/app"
	schedconfig "k8s.io/kubernetes/cmd/kube-scheduler/app/config"
	schedoptions "k8s.io/kubernetes/cmd/kube-scheduler/app/options"
	"k8s.io/kubernetes/pkg/scheduler"
	"k8s.io/kubernetes/pkg/scheduler/apis/config/latest"
	"k8s.io/kubernetes/pkg/scheduler/framework/runtime"

	"velad.io/velad/pkg/server/inproc"
)

// inProcess serves the in-process clients of the one API server of this process (design 001:
// one control plane per process).
var inProcess inproc.Handler

// InProcess returns the handler through which in-process clients reach the API server this
// executor runs (see inproc.Handler.Configure).
func (Embedded) InProcess() *inproc.Handler { return &inProcess }

// serveInProcess makes h (the API server's handler chain) serve the in-process clients until
// the returned function is called.
func serveInProcess(h http.Handler) (stop func()) {
	if !inproc.Enabled() {
		return func() {}
	}
	inProcess.Set(h)
	return func() { inProcess.Set(nil) }
}

// controllerManagerInProcess makes kube-controller-manager's own clients (its informers, events,
// leader election) reach the API server in-process. The clients of its controllers, which
// use service-account credentials (AnonymousClientConfig of cfg), keep the network.
func controllerManagerInProcess(cfg *rest.Config, client **clientset.Clientset) error {
	if !inproc.Enabled() {
		return nil
	}
	if err := inProcess.Configure(cfg); err != nil {
		return err
	}
	c, err := clientset.NewForConfig(cfg)
	if err != nil {
		return err
	}
	*client = c
	return nil
}

// loopbackInProcess makes the API server's loopback clients built from here on (those of its
// post-start hooks, the apiextensions and aggregator servers; not the shared informers NewConfig
// already built) reach it in-process, authenticated by the loopback token as before.
func loopbackInProcess(cfgs ...*rest.Config) error {
	if !inproc.Enabled() {
		return nil
	}
	done := map[*rest.Config]bool{}
	for _, c := range cfgs {
		if c == nil || done[c] {
			continue
		}
		done[c] = true
		if err := inProcess.Configure(c); err != nil {
			return err
		}
	}
	return nil
}

// setupScheduler is schedapp.Setup with the scheduler's clients reaching the API server
// in-process (leader election is off in velad, so its client is not rebuilt; --write-config-to
// is left to upstream's Setup, over the network).
func setupScheduler(ctx context.Context, opts *schedoptions.Options) (*schedconfig.CompletedConfig, *scheduler.Scheduler, error) {
	if !inproc.Enabled() || opts.WriteConfigTo != "" {
		return schedapp.Setup(ctx, opts)
	}
	cfg, err := latest.Default()
	if err != nil {
		return nil, nil, err
	}
	opts.ComponentConfig = cfg
	if errs := opts.Validate(); len(errs) > 0 {
		return nil, nil, utilerrors.NewAggregate(errs)
	}
	c, err := opts.Config(ctx)
	if err != nil {
		return nil, nil, err
	}
	// opts.Config built the clients over the network; none has been used yet.
	if err := inProcess.Configure(c.KubeConfig); err != nil {
		return nil, nil, err
	}
	if c.Client, err = clientset.NewForConfig(c.KubeConfig); err != nil {
		return nil, nil, err
	}
	eventClient, err := clientset.NewForConfig(c.KubeConfig)
	if err != nil {
		return nil, nil, err
	}
	c.EventBroadcaster = events.NewEventBroadcasterAdapterWithContext(ctx, eventClient)
	c.InformerFactory = scheduler.NewInformerFactory(c.Client, 0, opts.InformerName)
	dyn, err := dynamic.NewForConfig(c.KubeConfig)
	if err != nil {
		return nil, nil, err
	}
	c.DynInformerFactory = dynamicinformer.NewFilteredDynamicSharedInformerFactory(dyn, 0, "", nil)
	cc := c.Complete()
	sched, err := scheduler.New(ctx, cc.Client, cc.InformerFactory, cc.DynInformerFactory,
		func(name string) events.EventRecorderLogger { return cc.EventBroadcaster.NewRecorder(name) },
		scheduler.WithComponentConfigVersion(cc.ComponentConfig.TypeMeta.APIVersion),
		scheduler.WithKubeConfig(cc.KubeConfig),
		scheduler.WithProfiles(cc.ComponentConfig.Profiles...),
		scheduler.WithPercentageOfNodesToScore(cc.ComponentConfig.PercentageOfNodesToScore),
		scheduler.WithFrameworkOutOfTreeRegistry(runtime.Registry{}),
		scheduler.WithPodMaxBackoffSeconds(cc.ComponentConfig.PodMaxBackoffSeconds),
		scheduler.WithPodInitialBackoffSeconds(cc.ComponentConfig.PodInitialBackoffSeconds),
		scheduler.WithPodMaxInUnschedulablePodsDuration(cc.PodMaxInUnschedulablePodsDuration),
		scheduler.WithExtenders(cc.ComponentConfig.Extenders...),
		scheduler.WithParallelism(cc.ComponentConfig.Parallelism),
	)
	if err != nil {
		return nil, nil, err
	}
	return &cc, sched, nil
}
