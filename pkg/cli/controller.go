package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"velad.io/velad/pkg/controller"
	"velad.io/velad/pkg/controller/bootstrap"
)

// addControllerFlags binds the delivery controller's tuning flags to o.
func addControllerFlags(fs *pflag.FlagSet, o *controller.Options) {
	fs.IntVar(&o.ConcurrentReconciles, "concurrent-reconciles", 4, "(controller) Applications reconciled at once")
	fs.Float32Var(&o.QPS, "kube-api-qps", 100, "(controller) client QPS towards the API server")
	fs.IntVar(&o.Burst, "kube-api-burst", 200, "(controller) client burst towards the API server")
	fs.DurationVar(&o.ResyncPeriod, "resync-period", 5*time.Minute, "(controller) re-reconcile every Application this often (drift repair)")
	fs.IntVar(&o.RevisionLimit, "application-revision-limit", 10, "(controller) ApplicationRevisions kept per Application (the current and last successful ones always are)")
	o.RevisionCompression, o.TrackerCompression = controller.DefaultCompression, controller.DefaultCompression
	fs.Var((*compressionFlag)(&o.RevisionCompression), "application-revision-compression",
		"(controller) store new ApplicationRevisions compressed in KubeVela's format (its ZstdApplicationRevision/GzipApplicationRevision gates): zstd, gzip or none. "+
			"On by default, unlike KubeVela: it saves API server memory and CPU on small machines; compressed or not, revisions are always read")
	fs.Var((*compressionFlag)(&o.TrackerCompression), "resource-tracker-compression",
		"(controller) store ResourceTrackers compressed in KubeVela's format (its ZstdResourceTracker/GzipResourceTracker gates): zstd, gzip or none. "+
			"On by default, unlike KubeVela, as --application-revision-compression")
	fs.StringVar(&o.MetricsAddr, "metrics-addr", "", "(controller) serve Prometheus /metrics on this address (e.g. :8080; empty: off)")
}

// compressionFlag is a compression option's flag: zstd, gzip or none, checked when parsed.
type compressionFlag string

// String is the value.
func (f *compressionFlag) String() string { return string(*f) }

// Type names the accepted values in the help.
func (f *compressionFlag) Type() string { return "zstd|gzip|none" }

// Set accepts zstd, gzip or none.
func (f *compressionFlag) Set(v string) error {
	if !controller.ValidCompressionOption(v) {
		return fmt.Errorf("want zstd, gzip or none")
	}
	*f = compressionFlag(v)
	return nil
}

func newControllerCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var kubeconfig string
	var installCRDs bool
	opts := controller.Options{}
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Run the Application controller alone against any cluster (like KubeVela's core deployment)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := restConfigFrom(kubeconfig)
			if err != nil {
				return err
			}
			ctx, stop := signalContext(cmd.Context())
			defer stop()
			if installCRDs {
				if err := bootstrap.Install(ctx, cfg); err != nil {
					return err
				}
			}
			return controller.NewEmbedded(opts).Start(ctx, cfg, func() {})
		},
	}
	cmd.Flags().StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the cluster to manage (default: $KUBECONFIG, else the default velad cluster)")
	cmd.Flags().BoolVar(&installCRDs, "install-crds", true, "install the core.oam.dev CRDs and built-in definitions before starting")
	addControllerFlags(cmd.Flags(), &opts)
	return cmd
}

// restConfigFrom loads a kubeconfig path, or the default loading rules when it is empty.
func restConfigFrom(path string) (*rest.Config, error) {
	if path != "" {
		return clientcmd.BuildConfigFromFlags("", path)
	}
	return kubeRESTConfig()
}
