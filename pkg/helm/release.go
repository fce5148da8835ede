package helm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/go-logr/logr"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/kube"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
)

// desired is what one HelmRelease asks for.
type desired struct {
	name, namespace, storage string
	chart                    *chart.Chart
	values                   map[string]any
	digest                   string
	spec                     *spec
}

// outcome is what a reconcile did to the Helm release.
type outcome struct {
	// action is install, upgrade, rollback or "" (already current).
	action string
	// rel is the release now current.
	rel *release.Release
}

// digestOf hashes the chart's files and the values: equal digests mean the same release.
func digestOf(ch *chart.Chart, values map[string]any) (string, error) {
	h := sha256.New()
	var walk func(c *chart.Chart)
	walk = func(c *chart.Chart) {
		meta, _ := json.Marshal(c.Metadata)
		h.Write(meta)
		for _, f := range append(append([]*chart.File{}, c.Raw...), c.Templates...) {
			h.Write([]byte(f.Name))
			h.Write(f.Data)
		}
		for _, d := range c.Dependencies() {
			walk(d)
		}
	}
	walk(ch)
	v, err := json.Marshal(values) // map keys are sorted
	if err != nil {
		return "", err
	}
	h.Write(v)
	return hex.EncodeToString(h.Sum(nil))[:40], nil
}

// helmClient runs Helm actions against one cluster.
type helmClient struct {
	cfg *rest.Config
	dc  discovery.CachedDiscoveryInterface
	log logr.Logger
}

func newHelmClient(cfg *rest.Config, log logr.Logger) (*helmClient, error) {
	dc, err := newCachedDiscovery(cfg)
	if err != nil {
		return nil, err
	}
	return &helmClient{cfg: cfg, dc: dc, log: log}, nil
}

// config is an action configuration storing releases in storage and installing into target.
func (h *helmClient) config(storage, target string) (*action.Configuration, error) {
	ac := &action.Configuration{}
	logf := func(format string, v ...any) { h.log.V(1).Info(fmt.Sprintf(format, v...)) }
	if err := ac.Init(newRESTGetter(h.cfg, h.dc, target), storage, "secret", logf); err != nil {
		return nil, fmt.Errorf("initialising helm: %w", err)
	}
	if kc, ok := ac.KubeClient.(*kube.Client); ok {
		kc.Namespace = target
	}
	return ac, nil
}

// history is the release's revisions, oldest first (nil if it was never installed).
func history(ac *action.Configuration, name string) ([]*release.Release, error) {
	rels, err := action.NewHistory(ac).Run(name)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading history of release %s: %w", name, err)
	}
	sort.Slice(rels, func(i, j int) bool { return rels[i].Version < rels[j].Version })
	return rels, nil
}

// apply brings the release, whose revisions are rels (history), to d: nothing if its
// current revision is d, a rollback to the newest earlier revision made from d, an install
// if none is deployed, else an upgrade.
func (h *helmClient) apply(ctx context.Context, ac *action.Configuration, rels []*release.Release, d *desired) (*outcome, error) {
	var last, deployed, earlier *release.Release
	for _, r := range rels {
		last = r
		if r.Info.Status == release.StatusDeployed {
			deployed = r
		}
		if r.Labels[DigestLabel] == d.digest && r.Info.Status != release.StatusFailed && r.Info.Status != release.StatusPendingInstall {
			earlier = r
		}
	}
	labels := map[string]string{DigestLabel: d.digest}
	switch {
	case deployed != nil && deployed.Labels[DigestLabel] == d.digest:
		return &outcome{rel: deployed}, nil
	case deployed == nil:
		if last != nil { // only failed or pending revisions: start again
			if err := h.uninstall(ac, d.name, d.spec); err != nil {
				return nil, err
			}
		}
		in := action.NewInstall(ac)
		in.ReleaseName, in.Namespace, in.Labels = d.name, d.namespace, labels
		in.CreateNamespace = d.spec.Install.CreateNamespace
		in.Timeout = d.spec.timeout()
		rel, err := in.RunWithContext(ctx, d.chart, d.values)
		if err != nil {
			return &outcome{action: "install", rel: rel}, fmt.Errorf("helm install of %s/%s failed: %w", d.namespace, d.name, err)
		}
		return &outcome{action: "install", rel: rel}, nil
	case earlier != nil && earlier != deployed:
		rb := action.NewRollback(ac)
		rb.Version, rb.Timeout = earlier.Version, d.spec.timeout()
		if err := rb.Run(d.name); err != nil {
			return &outcome{action: "rollback"}, fmt.Errorf("helm rollback of %s/%s to revision %d failed: %w", d.namespace, d.name, earlier.Version, err)
		}
		rel, err := action.NewGet(ac).Run(d.name)
		return &outcome{action: "rollback", rel: rel}, err
	default:
		up := action.NewUpgrade(ac)
		up.Namespace, up.Labels, up.Timeout = d.namespace, labels, d.spec.timeout()
		rel, err := up.RunWithContext(ctx, d.name, d.chart, d.values)
		if err != nil {
			return &outcome{action: "upgrade", rel: rel}, fmt.Errorf("helm upgrade of %s/%s failed: %w", d.namespace, d.name, err)
		}
		return &outcome{action: "upgrade", rel: rel}, nil
	}
}

// rollbackToDeployed rolls a release whose last upgrade failed, with revisions rels
// (history read after the upgrade), back to its deployed revision.
func rollbackToDeployed(ac *action.Configuration, rels []*release.Release, d *desired) (int, error) {
	for i := len(rels) - 1; i >= 0; i-- {
		if rels[i].Info.Status == release.StatusDeployed {
			return 0, nil // still deployed: the failed upgrade changed nothing
		}
		if rels[i].Info.Status == release.StatusSuperseded {
			rb := action.NewRollback(ac)
			rb.Version, rb.Timeout = rels[i].Version, d.spec.timeout()
			return rels[i].Version, rb.Run(d.name)
		}
	}
	return 0, nil
}

// uninstall removes the release and its objects; a release already gone is not an error.
func (h *helmClient) uninstall(ac *action.Configuration, name string, s *spec) error {
	un := action.NewUninstall(ac)
	un.Timeout = s.timeout()
	_, err := un.Run(name)
	if err != nil && !errors.Is(err, driver.ErrReleaseNotFound) {
		return fmt.Errorf("helm uninstall of %s failed: %w", name, err)
	}
	return nil
}
