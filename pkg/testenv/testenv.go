// Package testenv starts velad's embedded control plane in-process on a temporary directory,
// for Go tests: the project's own envtest, with no downloaded binaries. The Kubernetes
// components keep process-global state, so a test binary starts at most one Env; share it
// from TestMain with Run.
package testenv

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"velad.io/velad/pkg/server"
	"velad.io/velad/pkg/server/component"
	"velad.io/velad/pkg/server/config"
)

var started atomic.Bool

// Options configure an Env.
type Options struct {
	// DataDir is used instead of a new temporary directory when set (it is then kept).
	DataDir string
	// Controllers are started by the server once the cluster is up.
	Controllers []server.Controller
}

// Env is a running embedded control plane.
type Env struct {
	// Config is an admin client config for the cluster.
	Config *rest.Config
	// Cluster is the server's resolved configuration.
	Cluster *config.Config
	// Kubeconfig is the path of the admin kubeconfig.
	Kubeconfig string

	cancel  context.CancelFunc
	done    chan error
	cleanup bool
}

// Start boots a control plane and returns once it is ready (at most 2 minutes).
func Start(opts Options) (*Env, error) {
	if !started.CompareAndSwap(false, true) {
		return nil, errors.New("testenv: a control plane already runs in this process; share it via testenv.Run in TestMain")
	}
	dir, cleanup := opts.DataDir, false
	if dir == "" {
		d, err := os.MkdirTemp("", "velad-testenv-")
		if err != nil {
			return nil, err
		}
		dir, cleanup = d, true
	}
	quietKlog(dir)
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	cfg := config.New("testenv", dir)
	cfg.APIServer.BindIP = "127.0.0.1"
	cfg.APIServer.Port = port
	cfg.Node.Mode = config.NodeSimulated // integration tests never start containers
	ctx, cancel := context.WithCancel(context.Background())
	env := &Env{Cluster: cfg, Kubeconfig: cfg.AdminKubeconfig(), cancel: cancel, done: make(chan error, 1), cleanup: cleanup}
	go func() { env.done <- server.New(cfg, component.Embedded{}, opts.Controllers...).Run(ctx) }()
	if err := env.waitReady(2 * time.Minute); err != nil {
		env.Stop()
		return nil, err
	}
	env.Config, err = clientcmd.BuildConfigFromFlags("", env.Kubeconfig)
	if err != nil {
		env.Stop()
		return nil, err
	}
	return env, nil
}

func (e *Env) waitReady(timeout time.Duration) error {
	deadline := time.After(timeout)
	for {
		if p, detail, err := server.ReadPhase(e.Cluster.PhaseFile()); err == nil {
			switch p {
			case server.PhaseReady:
				return nil
			case server.PhaseFailed:
				return fmt.Errorf("testenv: control plane failed: %s", detail)
			}
		}
		select {
		case err := <-e.done:
			return fmt.Errorf("testenv: server exited during start-up: %v", err)
		case <-deadline:
			return fmt.Errorf("testenv: control plane not ready after %s", timeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop stops the control plane and removes its temporary directory.
func (e *Env) Stop() {
	e.cancel()
	select {
	case <-e.done:
	case <-time.After(10 * time.Second):
	}
	if e.cleanup {
		_ = os.RemoveAll(e.Cluster.DataDir)
	}
}

// Run starts an Env, stores it in *env, runs the tests and stops it; use it in TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }
func Run(m *testing.M, env **Env, opts ...Options) int {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	e, err := Start(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	*env = e
	defer e.Stop()
	return m.Run()
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ModuleRoot walks up from the working directory to the directory holding go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// quietKlog sends the components' logs to <dir>/server.log instead of the test output.
func quietKlog(dir string) {
	f, err := os.OpenFile(filepath.Join(dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return
	}
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("alsologtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(f)
	logrus.SetOutput(f) // kine
}
