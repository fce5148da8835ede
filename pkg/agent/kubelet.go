package agent

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"

	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	kubeletapp "k8s.io/kubernetes/cmd/kubelet/app"
	kubeletoptions "k8s.io/kubernetes/cmd/kubelet/app/options"
	kubeletvalidation "k8s.io/kubernetes/pkg/kubelet/apis/config/validation"
)

// kubeletConfig is what the embedded kubelet needs to know of the cluster and the node.
type kubeletConfig struct {
	nodeName, nodeIP string
	kubeconfig       string
	clientCAFile     string
	clusterDNS       string
	paths            Paths
	// rotateCerts has the kubelet renew its client certificate through CertificateSigningRequests
	// before it expires (a joined agent's is signed by the controller manager for a year).
	rotateCerts bool
}

// runKubelet runs the upstream kubelet in this process until ctx is done. Like the control
// plane components it is built from its options and Run function, never from its cobra
// command (which would install a second signal handler).
func runKubelet(ctx context.Context, c kubeletConfig) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("kubelet panicked: %v\n%s", r, debug.Stack())
		}
	}()
	flags := kubeletoptions.NewKubeletFlags()
	flags.KubeConfig = c.kubeconfig
	flags.HostnameOverride = c.nodeName
	flags.NodeIP = c.nodeIP
	flags.RootDirectory = c.paths.KubeletRoot()
	flags.CertDirectory = c.paths.KubeletPKI()
	kc, err := kubeletoptions.NewKubeletConfiguration()
	if err != nil {
		return err
	}
	kc.ContainerRuntimeEndpoint = "unix://" + c.paths.ContainerdSocket()
	kc.ImageServiceEndpoint = kc.ContainerRuntimeEndpoint
	kc.CgroupDriver = CgroupDriver() // the same as runc's (renderContainerdConfig)
	kc.FailCgroupV1 = false
	kc.FailSwapOn = false
	kc.ProtectKernelDefaults = false
	kc.Authentication.X509.ClientCAFile = c.clientCAFile
	kc.Authentication.Anonymous.Enabled = false
	kc.Authentication.Webhook.Enabled = true
	kc.Authorization.Mode = "Webhook"
	kc.ReadOnlyPort = 0
	kc.ClusterDomain = "cluster.local"
	if c.clusterDNS != "" {
		kc.ClusterDNS = []string{c.clusterDNS}
	}
	kc.ResolverConfig = hostResolvConf()
	kc.PodLogsDir = c.paths.PodLogDir()
	kc.SerializeImagePulls = false
	// A laptop's disk is often fuller than a server's: evict late, and never garbage-collect
	// images, which velad imported offline and could not pull again.
	kc.EvictionHard = map[string]string{"memory.available": "100Mi", "nodefs.available": "2%", "imagefs.available": "2%"}
	kc.ImageGCHighThresholdPercent = 100
	kc.ImageGCLowThresholdPercent = 99
	kc.RegisterNode = true
	kc.RotateCertificates = c.rotateCerts
	if err := kubeletvalidation.ValidateKubeletConfiguration(kc, utilfeature.DefaultFeatureGate); err != nil {
		return fmt.Errorf("kubelet configuration: %w", utilerrors.Flatten(utilerrors.NewAggregate([]error{err})))
	}
	s := &kubeletoptions.KubeletServer{KubeletFlags: *flags, KubeletConfiguration: *kc}
	deps, err := kubeletapp.UnsecuredDependencies(ctx, s, utilfeature.DefaultFeatureGate)
	if err != nil {
		return fmt.Errorf("kubelet dependencies: %w", err)
	}
	return kubeletapp.Run(ctx, s, deps, utilfeature.DefaultFeatureGate)
}

// hostResolvConf is the resolv.conf pods inherit for names outside the cluster; the one of
// systemd-resolved when the host's points at its 127.0.0.53 stub (unreachable from pods).
func hostResolvConf() string {
	for _, p := range []string{"/run/systemd/resolve/resolv.conf", "/etc/resolv.conf"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}
