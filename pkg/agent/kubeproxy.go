package agent

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/pflag"
	proxyapp "k8s.io/kubernetes/cmd/kube-proxy/app"
)

// proxyConfig is what the embedded kube-proxy needs to know.
type proxyConfig struct {
	nodeName    string
	kubeconfig  string
	clusterCIDR string
}

// runKubeProxy runs the upstream kube-proxy in iptables mode in this process until ctx is
// done. Its health and metrics endpoints stay on loopback; it leaves conntrack sysctls as
// they are (a sandbox often may not change them).
func runKubeProxy(ctx context.Context, c proxyConfig) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kube-proxy panicked: %v\n%s", r, debug.Stack())
		}
	}()
	bridgeNetfilter()
	opts := proxyapp.NewOptions()
	fs := pflag.NewFlagSet("kube-proxy", pflag.ContinueOnError)
	opts.AddFlags(fs)
	args := []string{
		"--kubeconfig=" + c.kubeconfig,
		"--hostname-override=" + c.nodeName,
		"--proxy-mode=iptables",
		"--cluster-cidr=" + c.clusterCIDR,
		"--healthz-bind-address=127.0.0.1:10256",
		"--metrics-bind-address=127.0.0.1:10249",
		"--conntrack-max-per-core=0",
		"--conntrack-tcp-timeout-established=0",
		"--conntrack-tcp-timeout-close-wait=0",
		"--oom-score-adj=0",
		"--profiling=false",
	}
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("kube-proxy flags: %w", err)
	}
	if err := opts.Complete(fs); err != nil {
		return fmt.Errorf("completing kube-proxy options: %w", err)
	}
	if err := opts.Validate(); err != nil {
		return fmt.Errorf("kube-proxy options: %w", err)
	}
	// Options.Run never returns once ctx is done (it waits for an error): stop waiting then.
	errc := make(chan error, 1)
	go func() { errc <- opts.Run(ctx) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return nil
	}
}

// bridgeNetfilter makes bridged pod traffic pass iptables, so that a pod reaches a Service
// whose endpoint is on the same bridge (best effort: the sysctl exists once br_netfilter is
// loaded).
func bridgeNetfilter() {
	_ = os.WriteFile("/proc/sys/net/bridge/bridge-nf-call-iptables", []byte("1"), 0o644)
	_ = os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644)
}
