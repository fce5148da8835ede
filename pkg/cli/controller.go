package cli

import (
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
	fs.StringVar(&o.RevisionCompression, "application-revision-compression", controller.CompressionNone,
		"(controller) store new ApplicationRevisions compressed, in KubeVela's format (its ZstdApplicationRevision/GzipApplicationRevision gates): zstd, gzip or none; compressed revisions are read either way")
	fs.StringVar(&o.TrackerCompression, "resource-tracker-compression", controller.CompressionNone,
		"(controller) store ResourceTrackers compressed, in KubeVela's format (its ZstdResourceTracker/GzipResourceTracker gates): zstd, gzip or none; compressed trackers are read either way")
	fs.StringVar(&o.MetricsAddr, "metrics-addr", "", "(controller) serve Prometheus /metrics on this address (e.g. :8080; empty: off)")
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
