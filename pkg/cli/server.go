package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/klog/v2"

	"velad.io/velad/pkg/controller"
	"velad.io/velad/pkg/controller/bootstrap"
	"velad.io/velad/pkg/dashboard"
	"velad.io/velad/pkg/gateway"
	"velad.io/velad/pkg/helm"
	"velad.io/velad/pkg/server"
	"velad.io/velad/pkg/server/component"
	"velad.io/velad/pkg/server/config"
)

func newServerCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var dataDir, name string
	var tuning serverTuning
	cfg := config.New(config.DefaultName, "")
	klogFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(klogFlags)
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run a cluster's control plane in the foreground (what `velad install` starts)",
		Long: `Run a cluster's control plane in the foreground: kine on SQLite, kube-apiserver,
kube-controller-manager, kube-scheduler, the node and the embedded controllers, in this
process. With a --data-dir that holds a config.yaml (written by velad install) that config is
used; otherwise the flags describe the cluster.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dataDir == "" {
				m, err := managerFor(streams)
				if err != nil {
					return err
				}
				dataDir = m.DataDir(name)
			}
			if loaded, err := config.Load(dataDir); err == nil {
				cfg = loaded
				if err := applyServerArgs(cmd.Flags(), cfg.ServerArgs); err != nil {
					return fmt.Errorf("%s/config.yaml: %w", dataDir, err)
				}
			} else if errors.Is(err, config.ErrNotInstalled) {
				cfg.Name, cfg.DataDir = name, dataDir
			} else {
				return err
			}
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			if err := servePprof(os.Getenv("VELAD_PPROF_ADDR")); err != nil {
				return err
			}
			setMemoryLimit(tuning.memoryLimit)
			return server.New(cfg, component.Embedded{}, embeddedControllers(cfg, tuning.controller)...).
				WithIdleGOGC(tuning.idleGOGC).WithMemoryTarget(tuning.memoryTarget.bytes).Run(ctx)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "(data) the cluster's data dir")
	cmd.Flags().StringVar(&name, "name", config.DefaultName, "name of the cluster (when not read from the data dir)")
	cfg.AddFlags(cmd.Flags())
	cmd.Flags().AddFlagSet(serverTuningFlags(&tuning))
	cmd.Flags().AddGoFlag(klogFlags.Lookup("v"))
	return cmd
}

// serverTuning holds the values of the server's tuning flags.
type serverTuning struct {
	memoryLimit  memorySize
	memoryTarget memorySize
	idleGOGC     int
	controller   controller.Options
}

// serverTuningFlags are the `velad server` flags that `velad install` also
// takes and keeps in the cluster's config (ServerArgs) for every start.
func serverTuningFlags(t *serverTuning) *pflag.FlagSet {
	fs := pflag.NewFlagSet("tuning", pflag.ContinueOnError)
	fs.IntVar(&t.idleGOGC, "idle-gogc", 25, "(tuning) GOGC while the server allocates little (idle): a heap close to its live data; under load GOGC is 100, lowered (to 25 at least) so the heap stays within 512 MiB of its live data; 0: always the Go default; GOGC in the environment wins")
	t.memoryTarget = newMemorySize(server.DefaultMemoryTarget)
	fs.Var(&t.memoryTarget, "memory-target", "(tuning) Go memory the server keeps under while its live data allows (collections come earlier), else the heap keeps 40 % of its live data as headroom; with the binary's pages ~1 GiB of RSS; 0: none; --memory-limit and GOMEMLIMIT win")
	t.memoryLimit = newMemorySize(0)
	fs.Var(&t.memoryLimit, "memory-limit", "(tuning) soft limit of the Go heap, e.g. 256MiB: smaller when idle, but the GC burns CPU once the live heap nears it; 0: none; GOMEMLIMIT wins")
	addControllerFlags(fs, &t.controller)
	return fs
}

// changedServerArgs returns the tuning flags set on install's command line as
// --flag=value, to be kept in the config.
func changedServerArgs(tuning *pflag.FlagSet) []string {
	var out []string
	tuning.VisitAll(func(f *pflag.Flag) {
		if f.Changed {
			out = append(out, "--"+f.Name+"="+f.Value.String())
		}
	})
	return out
}

// applyServerArgs sets the kept --flag=value args on fs, except flags the
// command line already set (it wins).
func applyServerArgs(fs *pflag.FlagSet, args []string) error {
	for _, a := range args {
		name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		f := fs.Lookup(name)
		if !ok || !strings.HasPrefix(a, "--") || f == nil {
			return fmt.Errorf("serverArgs entry %q is not a --flag=value of `velad server`: fix or remove it", a)
		}
		if f.Changed {
			continue
		}
		if err := fs.Set(name, value); err != nil {
			return fmt.Errorf("serverArgs entry %q: %w", a, err)
		}
	}
	return nil
}

// embeddedControllers lists the controllers the server starts for cfg once the cluster is up.
func embeddedControllers(cfg *config.Config, opts controller.Options) []server.Controller {
	if cfg.ClusterOnly {
		return nil
	}
	return []server.Controller{bootstrap.Controller(), controller.NewEmbedded(opts), helm.NewEmbedded(),
		gateway.NewEmbedded(gateway.Options{AddrFile: cfg.GatewayFile()}), dashboard.NewEmbedded()}
}

// signalContext is cancelled on the first SIGINT/SIGTERM; a second one exits at once.
func signalContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-ch
		klog.Info("signal received, stopping")
		cancel()
		<-ch
		os.Exit(1)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

// servePprof serves net/http/pprof on addr (opt-in via VELAD_PPROF_ADDR, for profiling and
// `make bench`): only on 127.0.0.1, since the endpoint is unauthenticated. Mutex contention is
// sampled while it is on.
func servePprof(addr string) error {
	if addr == "" {
		return nil
	}
	if host, _, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" {
		return fmt.Errorf("VELAD_PPROF_ADDR=%q: the pprof endpoint serves only on 127.0.0.1:<port>", addr)
	}
	runtime.SetMutexProfileFraction(5)
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() { klog.ErrorS(http.ListenAndServe(addr, mux), "pprof server stopped") }()
	return nil
}

// memorySize is a memory flag's value (800MiB, 1Gi, 0), checked when parsed.
type memorySize struct {
	text  string
	bytes int64
}

// newMemorySize is a memory flag's default of b bytes (shown as 900Mi, 0).
func newMemorySize(b int64) memorySize {
	return memorySize{resource.NewQuantity(b, resource.BinarySI).String(), b}
}

// String is the value as given.
func (m *memorySize) String() string { return m.text }

// Type names the accepted values in the help.
func (m *memorySize) Type() string { return "size" }

// Set accepts a Kubernetes quantity, with or without a trailing B (800MiB, 800Mi, 1G).
func (m *memorySize) Set(v string) error {
	q, err := resource.ParseQuantity(strings.TrimSuffix(v, "B"))
	if err != nil || q.Sign() < 0 {
		return fmt.Errorf("not a memory size; give one like 800MiB or 1Gi, or 0 for none")
	}
	*m = memorySize{v, q.Value()}
	return nil
}

// setMemoryLimit sets the Go runtime's soft memory limit. Off by default: measured with 300
// Applications, a 256MiB limit cut throughput from 9.1 to 4.1 apps/s (GC took 28% of CPU) to
// save ~40 MB when idle. An explicit GOMEMLIMIT in the environment takes precedence.
func setMemoryLimit(limit memorySize) {
	if os.Getenv("GOMEMLIMIT") != "" || limit.bytes == 0 {
		return
	}
	debug.SetMemoryLimit(limit.bytes)
}
