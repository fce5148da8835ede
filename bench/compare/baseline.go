package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"

	"velad.io/velad/pkg/server/certs"
	"velad.io/velad/pkg/server/kubeconfig"
)

// baseline is the stock control plane: etcd, kube-apiserver, kube-controller-manager and
// kube-scheduler as separate processes built from the same module graph as velad, plus
// velad's simulated node in a process of its own (this program's node subcommand). Every
// process gets the certificates and flags velad gives its embedded component.
type baseline struct {
	binDir, self, dir string
	nodeIP            string
	apiPort, etcdPort int
	peerPort          int
	procs             []*exec.Cmd
}

func newBaseline(binDir string) (*baseline, error) {
	dir, err := os.MkdirTemp("", "bench-baseline-")
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	b := &baseline{binDir: binDir, self: self, dir: dir, apiPort: freePort(), etcdPort: freePort(), peerPort: freePort()}
	if ip, err := utilnet.ChooseHostInterface(); err == nil && !ip.IsLoopback() {
		b.nodeIP = ip.String()
	}
	return b, b.writePKI()
}

func (b *baseline) Kind() string       { return "baseline" }
func (b *baseline) certDir() string    { return filepath.Join(b.dir, "tls") }
func (b *baseline) Kubeconfig() string { return b.kubeconfig(certs.Admin) }
func (b *baseline) kubeconfig(c string) string {
	return filepath.Join(b.dir, "kubeconfig", c+".yaml")
}

// writePKI issues the certificates and kubeconfigs with velad's own certs package.
func (b *baseline) writePKI() error {
	sans := certs.SANs{
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		IPs:      []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.43.0.1")},
	}
	if b.nodeIP != "" {
		sans.IPs = append(sans.IPs, net.ParseIP(b.nodeIP))
	}
	if err := certs.Ensure(b.certDir(), sans); err != nil {
		return err
	}
	server := "https://127.0.0.1:" + strconv.Itoa(b.apiPort)
	for _, c := range []string{certs.Admin, certs.ControllerMgr, certs.Scheduler, certs.Node} {
		if err := kubeconfig.Write(b.kubeconfig(c), server, "baseline", b.certDir(), c); err != nil {
			return err
		}
	}
	return os.MkdirAll(filepath.Join(b.dir, "logs"), 0o700)
}

// Start launches the five processes at once, as a process manager would; the Kubernetes
// components retry until etcd and the API answer.
func (b *baseline) Start() (func() (time.Time, error), error) {
	b.procs = nil
	for _, p := range b.commands() {
		log, err := os.OpenFile(filepath.Join(b.dir, "logs", p[0]+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(p[1], p[2:]...)
		cmd.Stdout, cmd.Stderr = log, log
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			log.Close()
			return nil, fmt.Errorf("starting %s: %w", p[0], err)
		}
		log.Close()
		go func() { _ = cmd.Wait() }()
		b.procs = append(b.procs, cmd)
	}
	return func() (time.Time, error) { return time.Time{}, nil }, nil
}

func (b *baseline) PIDs() []int {
	var pids []int
	for _, c := range b.procs {
		pids = append(pids, c.Process.Pid)
	}
	return alive(pids)
}

func (b *baseline) Kill() { killAll(b.PIDs) }

func (b *baseline) Close() {
	b.Kill()
	_ = os.RemoveAll(b.dir)
}

// commands returns name, binary and arguments of each process.
func (b *baseline) commands() [][]string {
	bin := func(n string) string { return filepath.Join(b.binDir, n) }
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(b.etcdPort)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(b.peerPort)
	return [][]string{
		append([]string{"etcd", bin("etcd")}, args(map[string]string{
			"name": "baseline", "data-dir": filepath.Join(b.dir, "etcd"), "log-level": "warn",
			"listen-client-urls": etcdURL, "advertise-client-urls": etcdURL,
			"listen-peer-urls": peerURL, "initial-advertise-peer-urls": peerURL,
			"initial-cluster": "baseline=" + peerURL,
		})...),
		append([]string{"kube-apiserver", bin("kube-apiserver")}, args(b.apiServerFlags(etcdURL))...),
		append([]string{"kube-controller-manager", bin("kube-controller-manager")}, args(b.controllerManagerFlags())...),
		append([]string{"kube-scheduler", bin("kube-scheduler")}, args(map[string]string{
			"kubeconfig": b.kubeconfig(certs.Scheduler), "secure-port": "0", "leader-elect": "false", "profiling": "false",
		})...),
		{"node", b.self, "node", "-kubeconfig", b.kubeconfig(certs.Node), "-name", "bench-node", "-ip", b.nodeIP},
	}
}

// apiServerFlags mirrors velad's pkg/server/args.go (apiServerArgs), with etcd for kine.
func (b *baseline) apiServerFlags(etcdURL string) map[string]string {
	p := func(name string) string { return certs.Path(b.certDir(), name) }
	flags := map[string]string{
		"advertise-address": b.nodeIP, "bind-address": "127.0.0.1", "secure-port": strconv.Itoa(b.apiPort),
		"etcd-servers": etcdURL, "anonymous-auth": "false", "authorization-mode": "Node,RBAC",
		"enable-admission-plugins": "NodeRestriction", "allow-privileged": "true",
		"client-ca-file": p("ca.crt"), "tls-cert-file": p(certs.Serving + ".crt"), "tls-private-key-file": p(certs.Serving + ".key"),
		"kubelet-client-certificate": p(certs.KubeletClient + ".crt"), "kubelet-client-key": p(certs.KubeletClient + ".key"),
		"kubelet-preferred-address-types": "InternalIP,Hostname",
		"proxy-client-cert-file":          p(certs.FrontProxy + ".crt"), "proxy-client-key-file": p(certs.FrontProxy + ".key"),
		"requestheader-client-ca-file": p(certs.FrontProxyCA + ".crt"), "requestheader-allowed-names": "system:auth-proxy",
		"requestheader-extra-headers-prefix": "X-Remote-Extra-", "requestheader-group-headers": "X-Remote-Group",
		"requestheader-username-headers": "X-Remote-User",
		"service-account-issuer":         "https://kubernetes.default.svc.cluster.local",
		"service-account-key-file":       p(certs.ServiceAccount + ".pub"), "service-account-signing-key-file": p(certs.ServiceAccount + ".key"),
		"api-audiences":            "https://kubernetes.default.svc.cluster.local",
		"service-cluster-ip-range": "10.43.0.0/16", "profiling": "false", "event-ttl": "1h",
	}
	if b.nodeIP == "" {
		delete(flags, "advertise-address")
		flags["endpoint-reconciler-type"] = "none"
	}
	return flags
}

// controllerManagerFlags mirrors velad's controllerManagerArgs.
func (b *baseline) controllerManagerFlags() map[string]string {
	kc := b.kubeconfig(certs.ControllerMgr)
	p := func(name string) string { return certs.Path(b.certDir(), name) }
	return map[string]string{
		"kubeconfig": kc, "authentication-kubeconfig": kc, "authorization-kubeconfig": kc,
		"secure-port": "0", "leader-elect": "false", "allocate-node-cidrs": "true",
		"cluster-cidr": "10.42.0.0/16", "service-cluster-ip-range": "10.43.0.0/16",
		"cluster-signing-cert-file": p("ca.crt"), "cluster-signing-key-file": p("ca.key"), "root-ca-file": p("ca.crt"),
		"service-account-private-key-file": p(certs.ServiceAccount + ".key"),
		"use-service-account-credentials":  "true", "configure-cloud-routes": "false",
		"controllers": "*,tokencleaner", "profiling": "false",
	}
}

// args turns flags into sorted --name=value arguments.
func args(flags map[string]string) []string {
	var out []string
	for k, v := range flags {
		out = append(out, "--"+k+"="+v)
	}
	sort.Strings(out)
	return out
}
