package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"velad.io/velad/pkg/agent"
	"velad.io/velad/pkg/cluster/internal/driver"
	"velad.io/velad/pkg/cluster/internal/driver/process"
	"velad.io/velad/pkg/cluster/internal/driver/systemd"
	"velad.io/velad/pkg/join"
	"velad.io/velad/pkg/log"
	"velad.io/velad/pkg/server"
	"velad.io/velad/pkg/server/certs"
	"velad.io/velad/pkg/server/config"
	"velad.io/velad/pkg/server/kubeconfig"
)

// ErrAlreadyRunning is returned by Start for a cluster that is running.
var ErrAlreadyRunning = errors.New("cluster is already running")

// Manager manages the clusters under one base directory.
type Manager struct {
	base   string
	exe    string
	logger log.Logger
	driver driver.Driver
}

// Option configures a Manager.
type Option func(*Manager)

// WithBaseDir sets the directory holding the clusters' data dirs.
func WithBaseDir(dir string) Option { return func(m *Manager) { m.base = dir } }

// WithLogger sets the logger for progress and warnings.
func WithLogger(l log.Logger) Option { return func(m *Manager) { m.logger = l } }

// WithExecutable sets the velad binary the detached server runs (default: this one).
func WithExecutable(path string) Option { return func(m *Manager) { m.exe = path } }

// WithProcessDriver forces the supervised-process driver even where systemd is available.
func WithProcessDriver() Option { return func(m *Manager) { m.driver = process.Driver{} } }

// NewManager returns a Manager; without options it uses DefaultBaseDir, this executable and
// the systemd driver when velad runs as root under systemd, else the process driver.
func NewManager(opts ...Option) (*Manager, error) {
	m := &Manager{base: DefaultBaseDir(), logger: log.Noop{}}
	for _, o := range opts {
		o(m)
	}
	if m.exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("finding the velad executable: %w", err)
		}
		m.exe = exe
	}
	if m.driver == nil {
		m.driver = process.Driver{}
		if systemd.Available() {
			m.driver = systemd.Driver{}
		}
	}
	return m, nil
}

// DataDir returns the data dir of the named cluster.
func (m *Manager) DataDir(name string) string { return filepath.Join(m.base, name) }

// Config loads the named cluster's config, with an actionable error if it is not installed.
func (m *Manager) Config(name string) (*config.Config, error) {
	if err := config.ValidateName(name); err != nil {
		return nil, err
	}
	c, err := config.Load(m.DataDir(name))
	if errors.Is(err, config.ErrNotInstalled) {
		return nil, fmt.Errorf("cluster %q is not installed (in %s): run `velad install --name %s` first, or see `velad status`", name, m.base, name)
	}
	return c, err
}

// NewConfig returns a config for a new cluster with defaults: its data dir under the base and
// port 6443 if free, else the next port not used by another cluster and free on the host.
func (m *Manager) NewConfig(name string) *config.Config {
	c := config.New(name, m.DataDir(name))
	c.APIServer.Port = m.freePort(c.APIServer.BindIP, config.DefaultPort)
	return c
}

func (m *Manager) freePort(bindIP string, from int) int {
	used := map[int]bool{}
	for _, c := range loadAll(m.base) {
		used[c.APIServer.Port] = true
	}
	for p := from; p < from+1000; p++ {
		if !used[p] && server.CheckPortFree(bindIP, p) == nil {
			return p
		}
	}
	return from
}

// Running reports whether the cluster's server is running.
func (m *Manager) Running(cfg *config.Config) bool {
	_, ok := m.driver.Running(cfg)
	return ok
}

// Start starts an installed cluster's server and waits for it to be ready, reporting each
// phase to progress (may be nil).
func (m *Manager) Start(ctx context.Context, cfg *config.Config, progress ProgressFunc) error {
	if m.Running(cfg) {
		return ErrAlreadyRunning
	}
	if cfg.Join == nil { // an agent listens on no API port
		if err := waitPortFree(cfg.APIServer.BindIP, cfg.APIServer.Port, portWait); err != nil {
			return err
		}
	}
	_ = os.Remove(cfg.PhaseFile())
	if err := m.driver.Start(cfg, m.exe); err != nil {
		return err
	}
	return m.waitReady(ctx, cfg, progress)
}

// Install writes cfg and the join token (generated when token is empty) and starts the
// cluster. Installing a cluster that is
// already installed starts it if it is stopped and returns ErrAlreadyRunning if it runs.
func (m *Manager) Install(ctx context.Context, cfg *config.Config, token string, progress ProgressFunc) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if existing, err := config.Load(cfg.DataDir); err == nil {
		if m.Running(existing) {
			return ErrAlreadyRunning
		}
		m.logger.Infof("cluster %q is already installed in %s; starting it with its existing configuration", cfg.Name, cfg.DataDir)
		return m.Start(ctx, existing, progress)
	}
	if err := server.CheckPortFree(cfg.APIServer.BindIP, cfg.APIServer.Port); err != nil {
		return err
	}
	if err := m.register(cfg); err != nil {
		return err
	}
	if err := checkWritable(cfg.DataDir); err != nil {
		m.unregister(cfg)
		return err
	}
	if err := cfg.Save(); err != nil {
		return err
	}
	if err := writeToken(cfg.TokenFile(), token); err != nil {
		return err
	}
	return m.Start(ctx, cfg, progress)
}

// register makes a cluster whose data dir is not <base>/<name> (--data-dir) findable by
// its name: <base>/<name> becomes a link to the data dir (absolute: cfg.Validate), so
// status, stop, start, kubeconfig and uninstall --name find it like any other. A name
// already taken there is refused.
func (m *Manager) register(cfg *config.Config) error {
	link, dir := m.DataDir(cfg.Name), filepath.Clean(cfg.DataDir)
	if dir == link {
		return nil
	}
	if target, err := os.Readlink(link); err == nil && target == dir {
		return nil
	}
	if _, err := os.Lstat(link); err == nil {
		return fmt.Errorf("a cluster named %q is already registered at %s: choose another --name, or uninstall it first (velad uninstall --name %s)", cfg.Name, link, cfg.Name)
	}
	if err := os.MkdirAll(m.base, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", m.base, err)
	}
	if err := os.Symlink(dir, link); err != nil {
		return fmt.Errorf("registering the cluster's data dir %s as %s: %w", dir, link, err)
	}
	return nil
}

// unregister removes the link register made for a cluster installed with --data-dir.
func (m *Manager) unregister(cfg *config.Config) {
	if fi, err := os.Lstat(m.DataDir(cfg.Name)); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		_ = os.Remove(m.DataDir(cfg.Name))
	}
}

// Join writes an agent's config and join token (`velad join`) and starts it: it gets its
// kubelet's certificate from the server and runs a real node there. A join that fails leaves
// nothing behind; joining again an agent that is installed starts it.
func (m *Manager) Join(ctx context.Context, cfg *config.Config, token string, progress ProgressFunc) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if existing, err := config.Load(cfg.DataDir); err == nil {
		if existing.Join == nil {
			return fmt.Errorf("%q is a cluster installed on this host, not an agent: choose another --name", cfg.Name)
		}
		if m.Running(existing) {
			return ErrAlreadyRunning
		}
		return m.Start(ctx, existing, progress)
	}
	if err := m.register(cfg); err != nil {
		return err
	}
	if err := checkWritable(cfg.DataDir); err != nil {
		m.unregister(cfg)
		return err
	}
	if err := cfg.Save(); err != nil {
		return err
	}
	if err := os.WriteFile(cfg.TokenFile(), []byte(token), 0o600); err != nil {
		return err
	}
	if err := m.Start(ctx, cfg, progress); err != nil {
		if uerr := m.Uninstall(cfg); uerr != nil {
			m.logger.Warnf("removing the failed agent %q: %v", cfg.Name, uerr)
		}
		return err
	}
	return nil
}

// Stop stops the cluster's server; its data is kept.
func (m *Manager) Stop(cfg *config.Config) error { return m.driver.Stop(cfg) }

// Uninstall stops the cluster and removes everything it put on the host.
func (m *Manager) Uninstall(cfg *config.Config) error {
	if _, err := os.Stat(cfg.ComponentKubeconfig(certs.KubeProxy)); cfg.Join != nil && err == nil { // it had joined
		if err := join.Leave(context.Background(), cfg.ComponentKubeconfig(certs.KubeProxy), cfg.Node.Name); err != nil {
			m.logger.Warnf("agent %q leaves node %s in its cluster (delete it there with kubectl delete node %s): %v", cfg.Name, cfg.Node.Name, cfg.Node.Name, err)
		}
	}
	if err := m.driver.Stop(cfg); err != nil {
		return err
	}
	if err := m.driver.Remove(cfg); err != nil {
		return err
	}
	if err := agent.Cleanup(agent.PathsFor(cfg)); err != nil {
		return fmt.Errorf("removing the real node's containers, mounts and network: %w", err)
	}
	if err := os.RemoveAll(cfg.DataDir); err != nil {
		return fmt.Errorf("removing data dir %s: %w", cfg.DataDir, err)
	}
	m.unregister(cfg)
	if entries, err := os.ReadDir(m.base); err == nil && len(entries) == 0 {
		_ = os.Remove(m.base)
	}
	return nil
}

// Token returns the cluster's join token, as `velad join` takes it: the hash of the cluster
// CA and the cluster's secret (package join). Callers print it only on explicit request.
func (m *Manager) Token(cfg *config.Config) (string, error) {
	if cfg.Join != nil {
		return "", fmt.Errorf("%q is an agent (velad join): the join token is its cluster's, run `velad token` on the server", cfg.Name)
	}
	data, err := os.ReadFile(cfg.TokenFile())
	if err != nil {
		return "", fmt.Errorf("reading token of cluster %q: %w", cfg.Name, err)
	}
	ca, err := certs.Load(cfg.CertDir(), certs.CA)
	if err != nil {
		return "", fmt.Errorf("reading the CA of cluster %q (has it started once?): %w", cfg.Name, err)
	}
	return join.Format(ca.Cert, strings.TrimSpace(string(data))), nil
}

// Names lists the installed clusters.
func (m *Manager) Names() []string { return names(m.base) }

func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		hint := "choose another --data-dir"
		if os.IsPermission(err) {
			hint = "run as root or choose a --data-dir you can write"
		}
		return fmt.Errorf("data dir %s is not writable (%v): %s", dir, err, hint)
	}
	probe := filepath.Join(dir, ".write-test")
	if err := os.WriteFile(probe, nil, 0o600); err != nil {
		return fmt.Errorf("data dir %s is not writable (%v): run as root or choose a --data-dir you can write", dir, err)
	}
	return os.Remove(probe)
}

func writeToken(path, token string) error {
	if token == "" {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return err
		}
		token = "V10" + hex.EncodeToString(b)
	}
	return os.WriteFile(path, []byte(token), 0o600)
}

// portWait is how long Start waits for the port of a just-killed server to be released.
const portWait = 5 * time.Second

// waitPortFree retries the port check for a while: a killed server's threads may still hold
// its listener for a moment after the process is gone.
func waitPortFree(ip string, port int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := server.CheckPortFree(ip, port)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// uptime returns how long the file at path has existed (the pid file marks the start).
func uptime(path string) time.Duration {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return time.Since(st.ModTime()).Truncate(time.Second)
}

// KubeconfigForHost writes (mode 0600) and returns the path of an admin kubeconfig that
// reaches the cluster at https://host:port, after checking that the API server's certificate
// is valid for host.
func (m *Manager) KubeconfigForHost(cfg *config.Config, host string) (string, error) {
	serving, err := certs.Load(cfg.CertDir(), certs.Serving)
	if err != nil {
		return "", fmt.Errorf("reading the API server certificate of cluster %q (has it started once?): %w", cfg.Name, err)
	}
	if err := serving.Cert.VerifyHostname(host); err != nil {
		return "", fmt.Errorf("the API server certificate of cluster %q is not valid for %q: add it to tlsSANs in %s, then `velad stop --name %s && velad start --name %s` (the certificate is re-issued with the new names; data is kept)", cfg.Name, host, filepath.Join(cfg.DataDir, "config.yaml"), cfg.Name, cfg.Name)
	}
	path := filepath.Join(cfg.KubeconfigDir(), "host-"+strings.ReplaceAll(host, ":", "_")+".yaml")
	server := "https://" + net.JoinHostPort(host, strconv.Itoa(cfg.APIServer.Port))
	if err := kubeconfig.Write(path, server, "velad-"+cfg.Name, cfg.CertDir(), certs.Admin); err != nil {
		return "", err
	}
	return path, nil
}
