package addon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/Masterminds/semver/v3"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/application"
	"velad.io/velad/pkg/log"
	"velad.io/velad/pkg/version"
)

// Options configure a Manager.
type Options struct {
	// Logger receives progress lines; log.Noop{} when nil.
	Logger log.Logger
	// Registries are searched in order for addon names; the embedded registry when empty.
	Registries Registries
	// VelaVersion is checked against `system.vela`; VelaVersion when empty.
	VelaVersion string
	// KubernetesVersion is checked against `system.kubernetes`; read from the cluster when empty.
	KubernetesVersion string
	// CacheDir holds clones of git registries (<CacheDir>/<registry>); a directory under
	// the system's temporary directory when empty.
	CacheDir string
}

// Manager enables, disables and inspects addons on one cluster.
type Manager struct {
	c          client.Client
	disc       discovery.DiscoveryInterface
	log        log.Logger
	registries Registries
	vela, kube string
	cacheDir   string
}

// New returns a Manager for the cluster cfg points at.
func New(cfg *rest.Config, opts Options) (*Manager, error) {
	c, err := application.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating discovery client: %w", err)
	}
	m := &Manager{c: c, disc: disc, log: opts.Logger, registries: opts.Registries, vela: opts.VelaVersion, kube: opts.KubernetesVersion, cacheDir: opts.CacheDir}
	if m.log == nil {
		m.log = log.Noop{}
	}
	if len(m.registries) == 0 {
		m.registries = Registries{EmbeddedRegistry()}
	}
	if m.cacheDir == "" {
		m.cacheDir = filepath.Join(os.TempDir(), "velad-addon-registries")
	}
	if m.vela == "" {
		m.vela = VelaVersion
	}
	return m, nil
}

// Registries returns the registries the Manager searches.
func (m *Manager) Registries() Registries { return m.registries }

// Find loads the addon called name from the registries.
func (m *Manager) Find(name string) (*Addon, error) { return m.registries.Find(name) }

// kubernetesVersion returns the configured or the cluster's Kubernetes version. Released
// apiservers are version-stamped; velad's embedded one, built without stamping, reports
// v0.0.0-master, and then the Kubernetes velad is built from counts.
func (m *Manager) kubernetesVersion() (string, error) {
	if m.kube != "" {
		return m.kube, nil
	}
	v, err := m.disc.ServerVersion()
	if err != nil {
		return "", fmt.Errorf("reading the cluster's Kubernetes version: %w", err)
	}
	for _, candidate := range []string{v.GitVersion, version.Get().Kubernetes, EmbeddedKubernetesVersion} {
		if sv, err := semver.NewVersion(candidate); err == nil && sv.Major() > 0 {
			m.kube = candidate
			return m.kube, nil
		}
	}
	return "", fmt.Errorf("the cluster reports Kubernetes version %q, which is not a semantic version", v.GitVersion)
}

// enabledApp returns the addon's Application, or nil when the addon is not enabled.
func (m *Manager) enabledApp(ctx context.Context, name string) (*v1beta1.Application, error) {
	app := &v1beta1.Application{}
	err := m.c.Get(ctx, client.ObjectKey{Namespace: Namespace, Name: AppName(name)}, app)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading addon %s: %w", name, err)
	}
	return app, nil
}

// enabledVersion adapts enabledApp to planning: the enabled version, or ok false.
func (m *Manager) enabledVersion(ctx context.Context) func(string) (string, bool, error) {
	return func(name string) (string, bool, error) {
		app, err := m.enabledApp(ctx, name)
		if err != nil || app == nil {
			return "", false, err
		}
		return app.Labels[LabelVersion], true, nil
	}
}
