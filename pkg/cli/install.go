package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"velad.io/velad/pkg/addon"
	"velad.io/velad/pkg/cluster"
	"velad.io/velad/pkg/server/config"
)

type installFlags struct {
	name    string
	dataDir string
	dryRun  bool
	token   string
	addons  []string
	sets    []string
}

func newInstallCommand(streams genericiooptions.IOStreams) *cobra.Command {
	f := &installFlags{name: config.DefaultName}
	cfg := config.New(config.DefaultName, "")
	tuning := serverTuningFlags(&serverTuning{})
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install and start a cluster, then wait until it is ready",
		Example: `  velad install                                # the default cluster on port 6443
  velad install --name sub --cluster-only      # a second, Kubernetes-only member cluster
  velad install --concurrent-reconciles 8      # server tuning flags are kept for every start
  velad install --addons helm,velad-hello --set velad-hello.replicas=2   # enable addons once ready`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := managerFor(streams)
			if err != nil {
				return err
			}
			if err := config.ValidateName(f.name); err != nil {
				return err
			}
			defaults := m.NewConfig(f.name)
			cfg.Name = f.name
			cfg.DataDir = defaults.DataDir
			if f.dataDir != "" {
				cfg.DataDir = f.dataDir
			}
			if !cmd.Flags().Changed("port") {
				cfg.APIServer.Port = defaults.APIServer.Port
			}
			cfg.ServerArgs = changedServerArgs(tuning)
			if err := cfg.Validate(); err != nil {
				return err
			}
			addons, err := planInstallAddons(f.addons, f.sets)
			if err != nil {
				return err
			}
			if len(addons) > 0 && cfg.ClusterOnly {
				return fmt.Errorf("--addons needs the delivery system, which --cluster-only leaves out")
			}
			if f.dryRun {
				out, _ := yaml.Marshal(cfg)
				fmt.Fprintf(streams.Out, "# would write %s/config.yaml and start `velad server --data-dir %s`\n%s", cfg.DataDir, cfg.DataDir, out)
				if len(addons) > 0 {
					fmt.Fprintf(streams.Out, "# then enable addons: %s\n", strings.Join(addonNames(addons), ", "))
				}
				return nil
			}
			err = m.Install(cmd.Context(), cfg, f.token, newPhasePrinter(streams.ErrOut).print)
			running := errors.Is(err, cluster.ErrAlreadyRunning)
			if running {
				fmt.Fprintf(streams.Out, "cluster %q is already installed and running\n", cfg.Name)
			} else if err != nil {
				return err
			}
			if len(addons) > 0 {
				rc, err := clientcmd.BuildConfigFromFlags("", cfg.AdminKubeconfig())
				if err != nil {
					return fmt.Errorf("loading the cluster's kubeconfig: %w", err)
				}
				if err := enableInstallAddons(cmd.Context(), streams.ErrOut, rc, addons, addon.EnableOptions{}); err != nil {
					return fmt.Errorf("%w (the cluster is installed; retry with vela addon enable)", err)
				}
			}
			if running {
				return nil
			}
			return printNextSteps(streams, m, cfg.Name)
		},
	}
	cmd.Flags().StringVar(&f.name, "name", f.name, "name of the cluster")
	cmd.Flags().StringVar(&f.dataDir, "data-dir", "", "(data) directory for the cluster's data (default /var/lib/velad/<name> as root, ~/.velad/<name> otherwise)")
	cmd.Flags().StringVar(&f.token, "token", "", "(cluster) join token (default: generated); read it later with `velad token`")
	cmd.Flags().BoolVar(&f.dryRun, "dry-run", false, "print the configuration that would be installed, change nothing")
	cmd.Flags().StringSliceVar(&f.addons, "addons", nil, "(addons) enable these addons once the cluster is ready: embedded addon names or local addon directories, in order")
	cmd.Flags().StringArrayVar(&f.sets, "set", nil, "(addons) a parameter of an addon in --addons, <addon>.<key>=<value> (repeatable; values as in vela addon enable)")
	cfg.AddFlags(cmd.Flags())
	cmd.Flags().AddFlagSet(tuning)
	return cmd
}

func printNextSteps(streams genericiooptions.IOStreams, m *cluster.Manager, name string) error {
	cfg, err := m.Config(name)
	if err != nil {
		return err
	}
	nameFlag := ""
	if name != config.DefaultName {
		nameFlag = " --name " + name
	}
	fmt.Fprintf(streams.Out, `
velad cluster %q is ready.
  kubeconfig: %s

Next steps:
  export KUBECONFIG=$(velad kubeconfig%s)
  velad kubectl get nodes
  vela up -f app.yaml
  velad status
`, name, cfg.AdminKubeconfig(), nameFlag)
	return nil
}
