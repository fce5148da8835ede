package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"velad.io/velad/pkg/agent"
	"velad.io/velad/pkg/join"
	"velad.io/velad/pkg/server/certs"
	"velad.io/velad/pkg/server/kubeconfig"
)

// ensureJoin lets agents join (`velad join`): the bootstrap token derived from the cluster's
// secret and the RBAC it needs. A server started without a token file (not installed) has none.
func (s *Server) ensureJoin(ctx context.Context, admin *rest.Config) error {
	secret, err := os.ReadFile(s.cfg.TokenFile())
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading the join token: %w", err)
	}
	cs, err := kubernetes.NewForConfig(admin)
	if err != nil {
		return err
	}
	return join.EnsureServer(ctx, cs, strings.TrimSpace(string(secret)))
}

// runAgent runs a joined agent: a real node of the cluster at cfg.Join.Server, no control
// plane. Its kubelet's certificate is asked for on the first start (and again when the node
// was renamed or it is about to expire); the kubelet renews it while it runs. The phases go
// certs → node → ready.
func (s *Server) runAgent(ctx context.Context) (err error) {
	phaseFile := s.cfg.PhaseFile()
	defer func() { writeOutcome(phaseFile, err) }()
	if err := s.cfg.Validate(); err != nil {
		return err
	}
	writePhase(phaseFile, PhaseCerts, "")
	if err := os.MkdirAll(s.cfg.RunDir(), 0o700); err != nil {
		return fmt.Errorf("data dir %s is not writable: %w", s.cfg.DataDir, err)
	}
	s.nodeName, s.nodeIP = resolveNode(s.cfg)
	d, err := agent.Resolve(s.cfg)
	if err != nil {
		return fmt.Errorf("velad join adds a real node: %w", err)
	}
	_ = os.WriteFile(s.cfg.NodeModeFile(), []byte(d.String()+", agent of "+s.cfg.Join.Server+"\n"), 0o600)
	kubeletConfig, err := s.agentCredentials(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sup := newSupervisor(cancel)
	defer sup.wait(shutdownGrace)
	writePhase(phaseFile, PhaseNode, "")
	start := time.Now().Truncate(time.Second)
	n := &agent.Node{Config: s.cfg, Name: s.nodeName, IP: s.nodeIP}
	sup.goRun("node", func() error { return n.Run(ctx) })
	if err := waitNodeReady(ctx, kubeletConfig, s.nodeName, start, sup); err != nil {
		return err
	}
	writePhase(phaseFile, PhaseReady, "")
	klog.InfoS("velad agent is ready", "node", s.nodeName, "server", s.cfg.Join.Server)
	return sup.block(ctx)
}

// agentCredentials gets the kubelet's certificate when it has none for this node name or its
// certificate (velad join's, or the one the kubelet rotated to since) expired — or is about to,
// when the server answers — and writes the kubelet's kubeconfig (its certificate store, which
// the kubelet renews) and kube-proxy's (the bootstrap token).
func (s *Server) agentCredentials(ctx context.Context) (*rest.Config, error) {
	data, err := os.ReadFile(s.cfg.TokenFile())
	if err != nil {
		return nil, fmt.Errorf("reading the join token of agent %q: %w", s.cfg.Name, err)
	}
	tok, err := join.Parse(string(data))
	if err != nil {
		return nil, err
	}
	dir := s.cfg.CertDir()
	a := join.Agent{Server: s.cfg.Join.Server, Token: tok, NodeName: s.nodeName, CertDir: dir}
	store, err := a.KubeletCredentials(ctx, agent.PathsFor(s.cfg).KubeletPKI(), time.Now())
	if err != nil {
		return nil, err
	}
	ctxName := "velad-" + s.cfg.Name
	kubeletPath := s.cfg.ComponentKubeconfig(certs.Kubelet)
	if err := kubeconfig.WriteFiles(kubeletPath, a.Server, ctxName, dir, certs.Kubelet, store, store); err != nil {
		return nil, err
	}
	if err := kubeconfig.WriteToken(s.cfg.ComponentKubeconfig(certs.KubeProxy), a.Server, ctxName, dir, certs.KubeProxy, a.BootstrapConfig(nil).BearerToken); err != nil {
		return nil, err
	}
	return clientcmd.BuildConfigFromFlags("", kubeletPath)
}
