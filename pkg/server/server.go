package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"velad.io/velad/pkg/agent"
	"velad.io/velad/pkg/exepages"
	"velad.io/velad/pkg/server/certs"
	"velad.io/velad/pkg/server/component"
	"velad.io/velad/pkg/server/config"
	"velad.io/velad/pkg/server/datastore"
	"velad.io/velad/pkg/server/kubeconfig"
	"velad.io/velad/pkg/server/node"
)

// shutdownGrace bounds how long the components get to stop once the server is asked to.
// SQLite in WAL mode is crash-safe, so a dev cluster need not drain like a production one.
const shutdownGrace = 5 * time.Second

// Server runs one cluster's control plane in this process.
type Server struct {
	cfg         *config.Config
	executor    component.Executor
	controllers []Controller
	idleGOGC    int
	memTarget   int64

	// resolved at start
	nodeName, nodeIP string
}

// New returns a server for cfg that starts the given embedded controllers once the cluster
// is up. The executor runs the Kubernetes components (component.Embedded{} in production).
func New(cfg *config.Config, executor component.Executor, controllers ...Controller) *Server {
	return &Server{cfg: cfg, executor: executor, controllers: controllers}
}

// WithIdleGOGC makes the server, once ready, collect garbage at GOGC=percent while it
// allocates little and at the Go default while it is busy (see adaptGC); 0 (the default)
// leaves the collector alone, and so does GOGC in the environment.
func (s *Server) WithIdleGOGC(percent int) *Server {
	s.idleGOGC = percent
	return s
}

// WithMemoryTarget makes the server, once ready, keep its Go memory under bytes while its
// live heap allows (see followMemoryTarget); 0 leaves the runtime's memory limit alone, and
// so does GOMEMLIMIT in the environment or --memory-limit.
func (s *Server) WithMemoryTarget(bytes int64) *Server {
	s.memTarget = bytes
	return s
}

// Run starts everything and blocks until ctx is done or a component fails. It records each
// start-up phase in the phase file.
func (s *Server) Run(ctx context.Context) (err error) {
	if s.cfg.Join != nil {
		return s.runAgent(ctx)
	}
	phaseFile := s.cfg.PhaseFile()
	defer func() { writeOutcome(phaseFile, err) }()
	if err := s.prepare(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sup := newSupervisor(cancel)
	defer sup.wait(shutdownGrace)

	writePhase(phaseFile, PhaseDatastore, "")
	ds, err := datastore.Start(ctx, datastore.Config{DBFile: s.cfg.DBFile(), Socket: s.socketPath()})
	if err != nil {
		return err
	}
	writePhase(phaseFile, PhaseAPI, "")
	sup.goRun("kube-apiserver", func() error {
		return s.executor.APIServer(ctx, apiServerArgs(s.cfg, s.nodeIP, ds.ETCDServers))
	})
	admin, err := clientcmd.BuildConfigFromFlags("", s.cfg.ComponentKubeconfig(certs.Admin))
	if err != nil {
		return err
	}
	if err := waitAPIReady(ctx, admin, sup); err != nil {
		return err
	}
	if err := s.ensureJoin(ctx, admin); err != nil {
		return err
	}
	writePhase(phaseFile, PhaseNode, "")
	sup.goRun("kube-controller-manager", func() error { return s.executor.ControllerManager(ctx, controllerManagerArgs(s.cfg)) })
	sup.goRun("kube-scheduler", func() error { return s.executor.Scheduler(ctx, schedulerArgs(s.cfg)) })
	nodeStart := time.Now()
	isReal, err := s.startNode(ctx, sup)
	if err != nil {
		return err
	}
	// A restarted real node still shows the Ready its kubelet last reported: wait for a
	// report of this run's kubelet. (Heartbeats have one-second precision.)
	var since time.Time
	if isReal {
		since = nodeStart.Truncate(time.Second)
	}
	if err := waitNodeReady(ctx, admin, s.nodeName, since, sup); err != nil {
		return err
	}
	writePhase(phaseFile, PhaseControllers, "")
	if err := s.startControllers(ctx, admin, sup); err != nil {
		return err
	}
	writePhase(phaseFile, PhaseReady, "")
	klog.InfoS("velad cluster is ready", "name", s.cfg.Name, "port", s.cfg.APIServer.Port)
	go reclaimMemory(ctx)
	go exepages.ReleaseAfter(ctx, reclaimAfterReady)
	go adaptGC(ctx, s.idleGOGC)
	go followMemoryTarget(ctx, s.memTarget)
	return sup.block(ctx)
}

// startNode starts the node the configured mode resolves to, records the choice, and
// reports whether the node is real.
func (s *Server) startNode(ctx context.Context, sup *supervisor) (bool, error) {
	d, err := agent.Resolve(s.cfg)
	if err != nil {
		return false, err
	}
	_ = os.WriteFile(s.cfg.NodeModeFile(), []byte(d.String()+"\n"), 0o600)
	klog.InfoS("node mode", "mode", d.String())
	if d.Real {
		n := &agent.Node{Config: s.cfg, Name: s.nodeName, IP: s.nodeIP}
		sup.goRun("node", func() error { return n.Run(ctx) })
		return true, nil
	}
	n := &node.Simulated{Name: s.nodeName, IP: s.nodeIP, PodCIDR: s.cfg.Network.ClusterCIDR, Kubeconfig: s.cfg.ComponentKubeconfig(certs.Node)}
	sup.goRun("node", func() error { return n.Run(ctx) })
	return false, nil
}

// prepare validates, resolves node identity, checks the port and writes PKI and kubeconfigs.
func (s *Server) prepare() error {
	if err := s.cfg.Validate(); err != nil {
		return err
	}
	writePhase(s.cfg.PhaseFile(), PhaseCerts, "")
	if err := os.MkdirAll(s.cfg.RunDir(), 0o700); err != nil {
		return fmt.Errorf("data dir %s is not writable: %w", s.cfg.DataDir, err)
	}
	s.nodeName, s.nodeIP = resolveNode(s.cfg)
	if err := CheckPortFree(s.cfg.APIServer.BindIP, s.cfg.APIServer.Port); err != nil {
		return err
	}
	if err := certs.Ensure(s.cfg.CertDir(), s.sans()); err != nil {
		return fmt.Errorf("preparing certificates: %w", err)
	}
	return s.writeKubeconfigs()
}

func (s *Server) writeKubeconfigs() error {
	local := "https://127.0.0.1:" + strconv.Itoa(s.cfg.APIServer.Port)
	ctxName := "velad-" + s.cfg.Name
	for _, c := range []string{certs.Admin, certs.ControllerMgr, certs.Scheduler, certs.Node} {
		if err := kubeconfig.Write(s.cfg.ComponentKubeconfig(c), local, ctxName, s.cfg.CertDir(), c); err != nil {
			return err
		}
	}
	if err := kubeconfig.Write(s.cfg.AdminKubeconfig(), local, ctxName, s.cfg.CertDir(), certs.Admin); err != nil {
		return err
	}
	internalHost := s.nodeIP
	if internalHost == "" {
		internalHost = "127.0.0.1"
	}
	internal := "https://" + net.JoinHostPort(internalHost, strconv.Itoa(s.cfg.APIServer.Port))
	return kubeconfig.Write(s.cfg.InternalKubeconfig(), internal, ctxName, s.cfg.CertDir(), certs.Admin)
}

func (s *Server) sans() certs.SANs {
	sans := certs.SANs{
		DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"},
		IPs:      []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	if host, err := os.Hostname(); err == nil {
		sans.DNSNames = append(sans.DNSNames, strings.ToLower(host))
	}
	if ip, _, err := net.ParseCIDR(s.cfg.Network.ServiceCIDR); err == nil {
		ip = ip.To4()
		if ip != nil {
			first := make(net.IP, len(ip))
			copy(first, ip)
			first[3]++
			sans.IPs = append(sans.IPs, first)
		}
	}
	for _, extra := range append([]string{s.cfg.APIServer.BindIP, s.nodeIP}, s.cfg.APIServer.TLSSANs...) {
		if extra == "" || extra == "0.0.0.0" || extra == "::" {
			continue
		}
		if ip := net.ParseIP(extra); ip != nil {
			sans.IPs = append(sans.IPs, ip)
		} else {
			sans.DNSNames = append(sans.DNSNames, extra)
		}
	}
	return sans
}

func (s *Server) socketPath() string { return s.cfg.RunDir() + "/kine.sock" }

// resolveNode picks the node's name (config, else host name) and IP (config, else the host's
// default interface; empty when the host has none but loopback).
func resolveNode(c *config.Config) (name, ip string) {
	name = c.Node.Name
	if name == "" {
		name = config.DefaultNodeName("velad")
	}
	ip = c.Node.IP
	if ip == "" {
		if hostIP, err := utilnet.ChooseHostInterface(); err == nil && !hostIP.IsLoopback() {
			ip = hostIP.String()
		}
	}
	return name, ip
}

// CheckPortFree fails with an actionable error when ip:port cannot be listened on.
func CheckPortFree(ip string, port int) error {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
	if err != nil {
		if errors.Is(err, os.ErrPermission) || strings.Contains(err.Error(), "permission denied") {
			return fmt.Errorf("cannot listen on port %d: permission denied (ports below 1024 need root): choose another with --port", port)
		}
		return fmt.Errorf("port %d on %s is already in use (another velad cluster or program): choose a free one with --port", port, ip)
	}
	return l.Close()
}

// startControllers starts the embedded controllers in registration order, each once the
// previous one is ready (the delivery controller needs the CRDs bootstrap installs).
func (s *Server) startControllers(ctx context.Context, cfg *rest.Config, sup *supervisor) error {
	for _, c := range s.controllers {
		c := c
		readyCh := make(chan struct{})
		var once sync.Once
		ready := func() { once.Do(func() { close(readyCh) }) }
		sup.goRun(c.Name(), func() error { return c.Start(ctx, rest.CopyConfig(cfg), ready) })
		select {
		case <-readyCh:
			klog.InfoS("embedded controller ready", "controller", c.Name())
		case err := <-sup.errs:
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}
