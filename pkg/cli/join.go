package cli

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"velad.io/velad/pkg/cluster"
	"velad.io/velad/pkg/join"
	"velad.io/velad/pkg/server/config"
)

// tokenEnv is the environment variable velad join reads the token from when --token is not
// given (it keeps the token off the command line).
const tokenEnv = "VELAD_TOKEN"

func newJoinCommand(streams genericiooptions.IOStreams) *cobra.Command {
	var name, dataDir, server, token, nodeName, nodeIP string
	cmd := &cobra.Command{
		Use:   "join --server https://<server-ip>:6443 --token <token>",
		Short: "Add this host to a velad cluster as a real agent node (containerd + kubelet + kube-proxy, no control plane)",
		Long: `Add this host to a velad cluster as an agent node, k3s agent style: velad checks the
server's CA against the hash in the token, has the cluster sign the kubelet's certificate
(authenticated by the token) and runs a real node (containerd, kubelet, kube-proxy) in a
detached velad process. The token is the one ` + "`velad token`" + ` prints on the server; give it
with --token or in $VELAD_TOKEN. ` + "`velad uninstall --name <name>`" + ` leaves the cluster: it deletes
the node there and removes the containers, network and data here.`,
		Example: `  velad join --server https://192.168.1.10:6443 --token "$(ssh server velad token)"
  VELAD_TOKEN=... velad join --server https://192.168.1.10:6443 --name edge --node-name edge-1`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if token == "" {
				token = os.Getenv(tokenEnv)
			}
			if token == "" {
				return fmt.Errorf("velad join needs the cluster's join token: --token <token> or $%s (run `velad token` on the server)", tokenEnv)
			}
			if _, err := join.Parse(token); err != nil {
				return err
			}
			if err := join.ValidateServer(server); err != nil {
				return err
			}
			m, err := managerFor(streams)
			if err != nil {
				return err
			}
			if err := config.ValidateName(name); err != nil {
				return err
			}
			cfg := agentConfig(m, name, dataDir, server, nodeName, nodeIP)
			if err := m.Join(cmd.Context(), cfg, strings.TrimSpace(token), newAgentPhasePrinter(streams.ErrOut).print); err != nil {
				if errors.Is(err, cluster.ErrAlreadyRunning) {
					fmt.Fprintf(streams.Out, "agent %q is already joined and running\n", name)
					return nil
				}
				return err
			}
			fmt.Fprintf(streams.Out, "node %s joined %s (agent %q; leave with `velad uninstall --name %s`)\n", cfg.Node.Name, server, name, name)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "agent", "local name of the agent (its data dir, `velad status` and `velad uninstall --name`)")
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "(data) directory for the agent's data (default /var/lib/velad/<name> as root)")
	cmd.Flags().StringVar(&server, "server", "", "the cluster's API server URL, https://<server-ip>:<port>")
	cmd.Flags().StringVar(&token, "token", "", "the cluster's join token (`velad token` on the server); default $"+tokenEnv)
	cmd.Flags().StringVar(&nodeName, "node-name", "", "(node) name of the node (default: the host name)")
	cmd.Flags().StringVar(&nodeIP, "node-ip", "", "(networking) IP address the node advertises (default: the host's main interface)")
	return cmd
}

// agentConfig is the config of an agent: a real node of the cluster at server, named now so
// that its kubelet certificate and `velad status` agree on it.
func agentConfig(m *cluster.Manager, name, dataDir, server, nodeName, nodeIP string) *config.Config {
	cfg := config.New(name, m.DataDir(name))
	if dataDir != "" {
		cfg.DataDir = dataDir
	}
	cfg.Join = &config.Join{Server: server}
	cfg.ClusterOnly = true
	cfg.Node = config.Node{Name: nodeName, IP: nodeIP, Mode: config.NodeReal}
	if cfg.Node.Name == "" {
		cfg.Node.Name = config.DefaultNodeName("velad-agent")
	}
	if u, err := url.Parse(server); err == nil {
		if p, err := strconv.Atoi(u.Port()); err == nil {
			cfg.APIServer.Port = p // the server's: an agent listens on none
		}
	}
	return cfg
}
