package cli

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/application"
)

// podFlags choose the pod of an Application that logs, exec and port-forward reach.
type podFlags struct {
	target    appTarget
	cluster   string
	component string
	pod       string
	container string
	// kubeconfig reaches a member cluster (a temporary file; "" for the hub).
	kubeconfig string
}

func (f *podFlags) addFlags(cmd *cobra.Command) {
	f.target.addFlags(cmd)
	cmd.Flags().StringVarP(&f.component, "component", "c", "", "only pods of this component")
	cmd.Flags().StringVarP(&f.pod, "pod", "p", "", "this pod (default: the first pod of the application)")
	cmd.Flags().StringVar(&f.container, "container", "", "container in the pod (default: kubectl's choice)")
	cmd.Flags().StringVar(&f.cluster, "cluster", "", "cluster the pods were delivered to (default: local, the hub; see vela cluster list)")
}

// memberClient returns the client of the member cluster f.cluster and writes a kubeconfig
// for kubectl to reach it (removed by cleanup).
func (f *podFlags) memberClient(ctx context.Context) (client.Client, error) {
	reg, err := connectRegistry()
	if err != nil {
		return nil, err
	}
	cfg, err := reg.RESTConfig(ctx, f.cluster)
	if err != nil {
		return nil, err
	}
	data, err := reg.ExportConfig(ctx, f.cluster)
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp("", "vela-"+f.cluster+"-*.kubeconfig")
	if err != nil {
		return nil, err
	}
	defer tmp.Close()
	f.kubeconfig = tmp.Name()
	if _, err := tmp.Write(data); err != nil {
		return nil, fmt.Errorf("writing a kubeconfig for cluster %s: %w", f.cluster, err)
	}
	return application.NewClient(cfg)
}

// cleanup removes the member kubeconfig, if one was written.
func (f *podFlags) cleanup() {
	if f.kubeconfig != "" {
		_ = os.Remove(f.kubeconfig)
	}
}

// reachablePods returns the application's pods that run on a real node, for `vela
// command` (which does verb). When there are none it says why: no pods, or pods that only
// exist on velad's simulated node.
func (f *podFlags) reachablePods(ctx context.Context, command, verb, app string) ([]application.Pod, string, error) {
	c, a, err := f.target.get(ctx, app)
	if err != nil {
		return nil, "", err
	}
	if f.cluster != "" && f.cluster != application.LocalCluster {
		if c, err = f.memberClient(ctx); err != nil {
			return nil, "", err
		}
	}
	pods, err := application.Pods(ctx, c, a, f.cluster, f.component)
	if err != nil {
		return nil, "", err
	}
	var reachable []application.Pod
	simulated := 0
	for _, p := range pods {
		if f.pod != "" && p.Pod.Name != f.pod {
			continue
		}
		if p.Simulated {
			simulated++
			continue
		}
		reachable = append(reachable, p)
	}
	switch {
	case len(reachable) > 0:
		return reachable, reachable[0].Pod.Namespace, nil
	case simulated > 0:
		return nil, "", fmt.Errorf("cannot %s application %q: its %d pod(s) run on velad's simulated node (label %s=true), "+
			"which runs no containers. vela %s needs pods on a real node: deliver the app to a cluster that has one (velad install --node real). "+
			"vela status %s --tree shows what was delivered", verb, app, simulated, application.SimulatedNodeLabel, command, app)
	case f.pod != "":
		return nil, "", fmt.Errorf("application %q has no pod %q: list its pods with kubectl get pods -n %s -l app.oam.dev/name=%s", app, f.pod, a.Namespace, app)
	}
	if f.cluster != "" {
		return nil, "", fmt.Errorf("application %q has no pods in cluster %q: vela status %s shows where it was delivered", app, f.cluster, app)
	}
	return nil, "", fmt.Errorf("application %q has no pods yet: vela status %s shows its phase", app, app)
}

// kubectlArgs adds -n, --container and the member's --kubeconfig to a kubectl command line.
func (f *podFlags) kubectlArgs(ns string, args ...string) []string {
	out := append(args, "-n", ns)
	if f.kubeconfig != "" {
		out = append(out, "--kubeconfig", f.kubeconfig)
	}
	if f.container != "" {
		out = append(out, "-c", f.container)
	}
	return out
}

func newLogsCommand(streams genericiooptions.IOStreams) *cobra.Command {
	f := &podFlags{}
	var follow bool
	var tail int64
	cmd := &cobra.Command{
		Use:   "logs APP",
		Short: "Print the container logs of an Application's pods (kubectl logs)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			defer f.cleanup()
			pods, _, err := f.reachablePods(cmd.Context(), "logs", "show the logs of", args[0])
			if err != nil {
				return err
			}
			for _, p := range pods {
				if len(pods) > 1 {
					fmt.Fprintf(streams.Out, "=== %s (component %s)\n", p.Pod.Name, p.Component)
				}
				kargs := f.kubectlArgs(p.Pod.Namespace, "logs", "pod/"+p.Pod.Name, fmt.Sprintf("--tail=%d", tail))
				if f.container == "" {
					kargs = append(kargs, "--all-containers")
				}
				if follow && len(pods) == 1 {
					kargs = append(kargs, "-f")
				}
				if err := runKubectl(streams, kargs); err != nil {
					return err
				}
			}
			return nil
		},
	}
	f.addFlags(cmd)
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "stream the logs (one pod only: use --pod or -c)")
	cmd.Flags().Int64Var(&tail, "tail", -1, "lines of recent log to show (-1: all)")
	return cmd
}

func newExecCommand(streams genericiooptions.IOStreams) *cobra.Command {
	f := &podFlags{}
	var stdin, tty bool
	cmd := &cobra.Command{
		Use:   "exec APP -- COMMAND [ARGS...]",
		Short: "Run a command in a container of an Application's pod (kubectl exec)",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			defer f.cleanup()
			pods, ns, err := f.reachablePods(cmd.Context(), "exec", "exec into", args[0])
			if err != nil {
				return err
			}
			if len(args) < 2 {
				return fmt.Errorf("give the command to run: vela exec %s -- sh", args[0])
			}
			kargs := f.kubectlArgs(ns, "exec", "pod/"+pods[0].Pod.Name)
			if stdin {
				kargs = append(kargs, "-i")
			}
			if tty {
				kargs = append(kargs, "-t")
			}
			return runKubectl(streams, append(append(kargs, "--"), args[1:]...))
		},
	}
	f.addFlags(cmd)
	cmd.Flags().BoolVarP(&stdin, "stdin", "i", false, "pass stdin to the container")
	cmd.Flags().BoolVarP(&tty, "tty", "t", false, "stdin is a TTY")
	return cmd
}

func newPortForwardCommand(streams genericiooptions.IOStreams) *cobra.Command {
	f := &podFlags{}
	var address string
	cmd := &cobra.Command{
		Use:     "port-forward APP [[LOCAL_PORT:]REMOTE_PORT...]",
		Short:   "Forward local ports to an Application's pod (kubectl port-forward)",
		Example: "  vela port-forward web 8080:80",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			defer f.cleanup()
			pods, ns, err := f.reachablePods(cmd.Context(), "port-forward", "port-forward to", args[0])
			if err != nil {
				return err
			}
			ports := args[1:]
			if len(ports) == 0 {
				ports = containerPorts(pods[0].Pod)
			}
			if len(ports) == 0 {
				return fmt.Errorf("pod %s declares no container ports: give them, as in vela port-forward %s 8080:80", pods[0].Pod.Name, args[0])
			}
			kargs := []string{"port-forward", "pod/" + pods[0].Pod.Name, "-n", ns, "--address", address}
			if f.kubeconfig != "" {
				kargs = append(kargs, "--kubeconfig", f.kubeconfig)
			}
			return runKubectl(streams, append(kargs, ports...))
		},
	}
	f.addFlags(cmd)
	cmd.Flags().StringVar(&address, "address", "localhost", "local addresses to listen on (comma separated)")
	return cmd
}

// containerPorts lists the pod's declared container ports as kubectl port specs (same
// local and remote port).
func containerPorts(p corev1.Pod) []string {
	var out []string
	for _, c := range p.Spec.Containers {
		for _, port := range c.Ports {
			if port.Protocol == "" || port.Protocol == corev1.ProtocolTCP {
				out = append(out, strconv.Itoa(int(port.ContainerPort)))
			}
		}
	}
	return out
}
