package component

import (
	"context"
	"fmt"
	"runtime/debug"

	"github.com/spf13/pflag"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	apiserverapp "k8s.io/kubernetes/cmd/kube-apiserver/app"
	apiserveroptions "k8s.io/kubernetes/cmd/kube-apiserver/app/options"
	cmapp "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	cmoptions "k8s.io/kubernetes/cmd/kube-controller-manager/app/options"
	schedapp "k8s.io/kubernetes/cmd/kube-scheduler/app"
	schedoptions "k8s.io/kubernetes/cmd/kube-scheduler/app/options"
)

// Embedded runs the components in-process.
type Embedded struct{}

var _ Executor = Embedded{}

// APIServer implements Executor.
func (Embedded) APIServer(ctx context.Context, args []string) (err error) {
	defer recoverInto("kube-apiserver", &err)
	s := apiserveroptions.NewServerRunOptions()
	fs := pflag.NewFlagSet("kube-apiserver", pflag.ContinueOnError)
	for _, f := range s.Flags().FlagSets {
		fs.AddFlagSet(f)
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("kube-apiserver flags: %w", err)
	}
	if err := s.GenericServerRunOptions.ComponentGlobalsRegistry.Set(); err != nil {
		return err
	}
	rest.SetDefaultWarningHandler(rest.NoWarnings{})
	completed, err := s.Complete(ctx)
	if err != nil {
		return fmt.Errorf("completing kube-apiserver options: %w", err)
	}
	if errs := completed.Validate(); len(errs) != 0 {
		return fmt.Errorf("kube-apiserver options: %w", utilerrors.NewAggregate(errs))
	}
	return runAPIServer(ctx, completed)
}

// runAPIServer is apiserverapp.Run with the storage of every API served through one etcd
// client (storage.go) and kube-apiserver's OpenAPI documents built when asked (openapi.go).
func runAPIServer(ctx context.Context, opts apiserveroptions.CompletedOptions) error {
	if opts.InformerName == nil {
		name, err := cache.NewInformerName("kube-apiserver")
		if err != nil {
			return err
		}
		opts.InformerName = name
	}
	config, err := apiserverapp.NewConfig(opts)
	if err != nil {
		return err
	}
	shared := newSharedStorage()
	kube := config.KubeAPIs.ControlPlane.Generic
	kube.RESTOptionsGetter = shared.wrap(kube.RESTOptionsGetter)
	ext := config.ApiExtensions
	ext.GenericConfig.RESTOptionsGetter = shared.wrap(ext.GenericConfig.RESTOptionsGetter)
	ext.ExtraConfig.CRDRESTOptionsGetter = shared.wrap(ext.ExtraConfig.CRDRESTOptionsGetter)
	agg := config.Aggregator.GenericConfig
	agg.RESTOptionsGetter = shared.wrap(agg.RESTOptionsGetter)
	skipOpenAPI(kube)
	completed, err := config.Complete()
	if err != nil {
		return err
	}
	detachOperationIDs(completed)
	server, err := apiserverapp.CreateServerChain(completed)
	if err != nil {
		return err
	}
	if err := installKubeOpenAPI(server, completed); err != nil {
		return err
	}
	prepared, err := server.PrepareRun()
	if err != nil {
		return err
	}
	dropOpenAPIV3Definitions(completed)
	return prepared.Run(ctx)
}

// ControllerManager implements Executor.
func (Embedded) ControllerManager(ctx context.Context, args []string) (err error) {
	defer recoverInto("kube-controller-manager", &err)
	s, err := cmoptions.NewKubeControllerManagerOptions()
	if err != nil {
		return err
	}
	known, disabled, aliases := cmapp.KnownControllers(), cmapp.ControllersDisabledByDefault(), cmapp.ControllerAliases()
	nfs := s.Flags(known, disabled, aliases)
	s.ParsedFlags = &nfs
	fs := pflag.NewFlagSet("kube-controller-manager", pflag.ContinueOnError)
	for _, f := range nfs.FlagSets {
		fs.AddFlagSet(f)
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("kube-controller-manager flags: %w", err)
	}
	if err := s.ComponentGlobalsRegistry.Set(); err != nil {
		return err
	}
	c, err := s.Config(ctx, known, disabled, aliases)
	if err != nil {
		return fmt.Errorf("configuring kube-controller-manager: %w", err)
	}
	return cmapp.Run(ctx, c.Complete())
}

// Scheduler implements Executor.
func (Embedded) Scheduler(ctx context.Context, args []string) (err error) {
	defer recoverInto("kube-scheduler", &err)
	opts := schedoptions.NewOptions()
	fs := pflag.NewFlagSet("kube-scheduler", pflag.ContinueOnError)
	for _, f := range opts.Flags.FlagSets {
		fs.AddFlagSet(f)
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("kube-scheduler flags: %w", err)
	}
	if err := opts.ComponentGlobalsRegistry.Set(); err != nil {
		return err
	}
	if opts.InformerName == nil {
		name, err := cache.NewInformerName("kube-scheduler")
		if err != nil {
			return err
		}
		opts.InformerName = name
	}
	cc, sched, err := schedapp.Setup(ctx, opts)
	if err != nil {
		return fmt.Errorf("configuring kube-scheduler: %w", err)
	}
	return schedapp.Run(ctx, cc, sched)
}

// recoverInto turns a panic of a component into its error, so that the supervisor can stop
// the process in order instead of crashing mid-write.
func recoverInto(component string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s panicked: %v\n%s", component, r, debug.Stack())
	}
}
