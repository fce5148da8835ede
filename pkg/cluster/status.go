package cluster

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"velad.io/velad/pkg/server"
	"velad.io/velad/pkg/server/certs"
	"velad.io/velad/pkg/server/config"
	"velad.io/velad/pkg/server/node"
)

// Status describes one cluster for `velad status`.
type Status struct {
	// Name of the cluster.
	Name string `json:"name"`
	// Endpoint is the API server URL.
	Endpoint string `json:"endpoint"`
	// State is running, starting, stopped or failed.
	State string `json:"state"`
	// Ready is true when the API answers and the node is Ready.
	Ready bool `json:"ready"`
	// Components is "kubernetes" for --cluster-only members, else "kubernetes+vela".
	Components string `json:"components"`
	// Datastore names the backend and its size on disk.
	Datastore string `json:"datastore"`
	// Node is the node's name, mode and readiness.
	Node string `json:"node"`
	// NodeMode is the node mode the server chose and why ("real: asked for (--node real)").
	NodeMode string `json:"nodeMode,omitempty"`
	// Gateway is the address of the built-in gateway (ingress proxy), when it runs.
	Gateway string `json:"gateway,omitempty"`
	// Uptime of the server process.
	Uptime string `json:"uptime"`
	// Driver that runs the server (process or systemd).
	Driver string `json:"driver"`
	// DataDir of the cluster.
	DataDir string `json:"dataDir"`
	// Error is the start-up error of a failed cluster.
	Error string `json:"error,omitempty"`
}

// Status returns the status of one cluster, asking its API server briefly when it runs.
func (m *Manager) Status(ctx context.Context, cfg *config.Config) Status {
	st := Status{
		Name:       cfg.Name,
		Endpoint:   "https://127.0.0.1:" + strconv.Itoa(cfg.APIServer.Port),
		State:      "stopped",
		Components: "kubernetes+vela",
		Datastore:  "sqlite " + sizeOf(cfg.DBFile()),
		Node:       "-",
		Uptime:     "-",
		Driver:     m.driver.Name(),
		DataDir:    cfg.DataDir,
	}
	if cfg.ClusterOnly {
		st.Components = "kubernetes"
	}
	if cfg.Join != nil {
		st.Endpoint, st.Components, st.Datastore = cfg.Join.Server, "agent (real node)", "-"
	}
	phase, detail, _ := server.ReadPhase(cfg.PhaseFile())
	if !m.Running(cfg) {
		if phase == server.PhaseFailed {
			st.State, st.Error = "failed", detail
		}
		return st
	}
	st.Uptime = uptime(cfg.PIDFile()).String()
	if b, err := os.ReadFile(cfg.NodeModeFile()); err == nil {
		st.NodeMode = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile(cfg.GatewayFile()); err == nil {
		st.Gateway = strings.TrimSpace(string(b))
	}
	st.State = "starting (" + string(phase) + ")"
	if phase == server.PhaseReady {
		st.State = "running"
	}
	st.Node, st.Ready = nodeStatus(ctx, cfg)
	st.Ready = st.Ready && phase == server.PhaseReady
	return st
}

// List returns the status of every installed cluster.
func (m *Manager) List(ctx context.Context) []Status {
	var out []Status
	for _, c := range loadAll(m.base) {
		out = append(out, m.Status(ctx, c))
	}
	return out
}

func nodeStatus(ctx context.Context, cfg *config.Config) (string, bool) {
	kubeconfig := cfg.AdminKubeconfig()
	if cfg.Join != nil { // an agent sees its own node only
		kubeconfig = cfg.ComponentKubeconfig(certs.Kubelet)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return "unknown", false
	}
	rc.Timeout = 2 * time.Second
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return "unknown", false
	}
	nodes, err := listNodes(ctx, cs, cfg)
	if err != nil {
		return "API not answering", false
	}
	if len(nodes.Items) == 0 {
		return "not registered", false
	}
	n := ownNode(cfg, nodes.Items)
	mode := "real"
	if n.Labels[node.SimulatedLabel] == "true" {
		mode = "simulated"
	}
	if node.Ready(&n) {
		return fmt.Sprintf("%s (%s, Ready)", n.Name, mode), true
	}
	return fmt.Sprintf("%s (%s, NotReady)", n.Name, mode), false
}

func sizeOf(path string) string {
	var total int64
	for _, p := range []string{path, path + "-wal"} {
		if st, err := os.Stat(p); err == nil {
			total += st.Size()
		}
	}
	return fmt.Sprintf("%.1f MB", float64(total)/1e6)
}

// listNodes lists the cluster's nodes, or an agent's own node (its kubelet may read no other).
func listNodes(ctx context.Context, cs kubernetes.Interface, cfg *config.Config) (*corev1.NodeList, error) {
	if cfg.Join == nil {
		return cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	}
	n, err := cs.CoreV1().Nodes().Get(ctx, cfg.Node.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return &corev1.NodeList{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &corev1.NodeList{Items: []corev1.Node{*n}}, nil
}

// ownNode picks the cluster's own node among its nodes (agents may have joined): the one of
// the configured or host name, else the first.
func ownNode(cfg *config.Config, nodes []corev1.Node) corev1.Node {
	name := cfg.Node.Name
	if name == "" {
		name = config.DefaultNodeName("velad") // as the server names it
	}
	for _, n := range nodes {
		if n.Name == name {
			return n
		}
	}
	return nodes[0]
}
