package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/klog/v2"

	"velad.io/velad/pkg/agent/dns"
	"velad.io/velad/pkg/server/certs"
	"velad.io/velad/pkg/server/config"
	"velad.io/velad/pkg/server/kubeconfig"
)

// containerdStartTimeout bounds how long containerd may take to answer on its socket.
const containerdStartTimeout = 60 * time.Second

// Node is a real node: containerd as a sub-process, the kubelet in this process.
type Node struct {
	// Config is the cluster's configuration.
	Config *config.Config
	// Name and IP of the node.
	Name, IP string
}

// joined reports whether n is a joined agent (`velad join`, Config.Join): its kubelet and
// kube-proxy kubeconfigs are package join's, and it runs no CoreDNS of its own.
func (n *Node) joined() bool { return n.Config.Join != nil }

// Run prepares the node's files, starts containerd and runs the kubelet until ctx is done,
// then stops containerd (the containers and their shims keep running, to be adopted again).
func (n *Node) Run(ctx context.Context) error {
	p := PathsFor(n.Config)
	velad, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locating the velad binary: %w", err)
	}
	rt, err := ResolveRuntime(p)
	if err != nil {
		return err
	}
	klog.InfoS("runc, shim and CNI plugins", "from", rt.From, "runc", rt.Runc, "shim", rt.Shim)
	reg, err := LoadRegistries(n.Config.RegistriesFile())
	if err != nil {
		return err
	}
	for _, rw := range reg.Rewrites() {
		klog.InfoS("registries.yaml: rewrite not applied (containerd has no rewrite; point the mirror at the rewritten path instead)", "rule", rw)
	}
	if err := writeConfigs(p, velad, rt, reg); err != nil {
		return err
	}
	if err := writeOwner(p, n.Config); err != nil {
		return fmt.Errorf("writing %s: %w", p.RunDir, err)
	}
	kcfg, proxyKubeconfig := n.Config.ComponentKubeconfig(certs.Kubelet), n.Config.ComponentKubeconfig(certs.KubeProxy)
	if !n.joined() {
		if kcfg, err = n.writeKubeletKubeconfig(); err != nil {
			return err
		}
		if proxyKubeconfig, err = n.writeKubeconfig(certs.KubeProxy); err != nil {
			return err
		}
	}
	cd, err := startContainerd(ctx, p, velad)
	if err != nil {
		return err
	}
	defer cd.stop()
	if err := ImportBuiltinImages(ctx, p, velad); err != nil {
		return err
	}
	errc := make(chan error, 3)
	// A joined agent has no admin credentials for CoreDNS; its pods use the server's.
	if n.IP != "" && !n.joined() {
		go func() {
			errc <- dns.Run(ctx, dns.Config{
				NodeIP: n.IP, ServiceIP: ClusterDNSIP(n.Config.Network.ServiceCIDR),
				Kubeconfig: n.Config.ComponentKubeconfig(certs.Node), ResolvConf: hostResolvConf(),
			})
		}()
	}
	go func() {
		errc <- runKubeProxy(ctx, proxyConfig{nodeName: n.Name, kubeconfig: proxyKubeconfig, clusterCIDR: n.Config.Network.ClusterCIDR})
	}()
	go func() {
		errc <- runKubelet(ctx, kubeletConfig{
			nodeName: n.Name, nodeIP: n.IP, kubeconfig: kcfg,
			clientCAFile: certs.Path(n.Config.CertDir(), certs.CA+".crt"),
			clusterDNS:   ClusterDNSIP(n.Config.Network.ServiceCIDR),
			paths:        p,
			rotateCerts:  n.joined(),
		})
	}()
	select {
	case err := <-errc:
		if err == nil && ctx.Err() == nil {
			err = errors.New("kubelet, kube-proxy or cluster DNS stopped")
		}
		return err
	case err := <-cd.exited:
		return fmt.Errorf("containerd exited (%v): see %s", err, p.ContainerdLog())
	case <-ctx.Done():
		return nil
	}
}

func (n *Node) writeKubeletKubeconfig() (string, error) {
	dir := n.Config.CertDir()
	if err := certs.EnsureKubelet(dir, n.Name); err != nil {
		return "", err
	}
	return n.writeKubeconfig(certs.Kubelet)
}

// writeKubeconfig writes the kubeconfig of a node component from its client certificate.
func (n *Node) writeKubeconfig(base string) (string, error) {
	path := n.Config.ComponentKubeconfig(base)
	server := "https://127.0.0.1:" + strconv.Itoa(n.Config.APIServer.Port)
	return path, kubeconfig.Write(path, server, "velad-"+n.Config.Name, n.Config.CertDir(), base)
}

// ClusterDNSIP is the cluster DNS Service address: the tenth of the service range.
func ClusterDNSIP(serviceCIDR string) string {
	ip, _, err := net.ParseCIDR(serviceCIDR)
	if err != nil || ip.To4() == nil {
		return ""
	}
	v4 := ip.To4()
	return net.IPv4(v4[0], v4[1], v4[2], v4[3]+10).String()
}

type containerdProc struct {
	cmd    *exec.Cmd
	exited chan error
}

// startContainerd runs `velad containerd` and waits until its socket answers.
func startContainerd(ctx context.Context, p Paths, velad string) (*containerdProc, error) {
	killStale(filepath.Join(p.RunDir, "containerd.pid"))
	logf, err := os.OpenFile(p.ContainerdLog(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening containerd log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(velad, "containerd", "--config", p.ContainerdConfig())
	cmd.Env = append(os.Environ(), "PATH="+p.BinDir()+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group (a ^C to velad reaches it through velad, in order), and killed
	// with velad so that a restart never finds a second containerd on the same root.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting containerd: %w", err)
	}
	_ = os.WriteFile(filepath.Join(p.RunDir, "containerd.pid"), []byte(strconv.Itoa(cmd.Process.Pid)), 0o600)
	c := &containerdProc{cmd: cmd, exited: make(chan error, 1)}
	go func() { c.exited <- cmd.Wait() }()
	deadline := time.NewTimer(containerdStartTimeout)
	defer deadline.Stop()
	for {
		if conn, err := net.DialTimeout("unix", p.ContainerdSocket(), time.Second); err == nil {
			conn.Close()
			klog.InfoS("containerd is up", "socket", p.ContainerdSocket(), "took", time.Since(start).Round(time.Millisecond))
			return c, nil
		}
		select {
		case err := <-c.exited:
			return nil, fmt.Errorf("containerd exited at start (%v): see %s", err, p.ContainerdLog())
		case <-deadline.C:
			c.stop()
			return nil, fmt.Errorf("containerd did not answer on %s within %s: see %s", p.ContainerdSocket(), containerdStartTimeout, p.ContainerdLog())
		case <-ctx.Done():
			c.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop asks containerd to stop, and kills it after a short grace.
func (c *containerdProc) stop() {
	if c.cmd.ProcessState != nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(3 * time.Second):
		_ = c.cmd.Process.Kill()
	}
}

// killStale kills a containerd left by an earlier run that was itself killed.
func killStale(pidFile string) {
	data, err := os.ReadFile(pidFile)
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !strings.Contains(string(cmdline), "containerd") {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for i := 0; i < 50; i++ {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
