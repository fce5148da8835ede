package helm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ConfigMapScheme prefixes a source URL naming a ConfigMap that holds packaged charts in its
// binaryData: configmap://<name> (the release's namespace) or configmap://<namespace>/<name>.
const ConfigMapScheme = "configmap://"

// source is where a release's chart comes from.
type source struct {
	kind string // HelmRepository or GitRepository
	url  string
	oci  bool
}

// errNoNetwork marks an error fetching a remote source; the hint says how to work offline.
const offlineHint = "velad fetches remote charts only when the network reaches them; offline, point the source url at a local chart directory or .tgz (file:///path) or a ConfigMap holding the package (configmap://name)"

// resolveSource reads the source object spec.chart.spec.sourceRef names.
func resolveSource(ctx context.Context, c client.Reader, hr *unstructured.Unstructured, ref sourceRef) (*source, error) {
	if ref.Kind != "HelmRepository" && ref.Kind != "GitRepository" {
		return nil, fmt.Errorf("spec.chart.spec.sourceRef.kind %q is not supported: use HelmRepository or GitRepository", ref.Kind)
	}
	ns := ref.Namespace
	if ns == "" {
		ns = hr.GetNamespace()
	}
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(SourceGroupVersion.WithKind(ref.Kind))
	if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: ref.Name}, obj); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("source %s %s/%s not found: create it (the helm component emits it with the release)", ref.Kind, ns, ref.Name)
		}
		return nil, fmt.Errorf("reading source %s %s/%s: %w", ref.Kind, ns, ref.Name, err)
	}
	u, _, _ := unstructured.NestedString(obj.Object, "spec", "url")
	if u == "" {
		return nil, fmt.Errorf("source %s %s/%s has no spec.url", ref.Kind, ns, ref.Name)
	}
	t, _, _ := unstructured.NestedString(obj.Object, "spec", "type")
	return &source{kind: ref.Kind, url: u, oci: t == "oci" || strings.HasPrefix(u, "oci://")}, nil
}

// loadChart fetches the chart cs names from src; namespace resolves configmap:// URLs.
func loadChart(ctx context.Context, c client.Reader, namespace string, src *source, cs chartSpec) (*chart.Chart, error) {
	var ch *chart.Chart
	var err error
	switch {
	case strings.HasPrefix(src.url, ConfigMapScheme):
		ch, err = fromConfigMap(ctx, c, namespace, strings.TrimPrefix(src.url, ConfigMapScheme), cs)
	case strings.HasPrefix(src.url, "file://") || filepath.IsAbs(src.url):
		ch, err = fromPath(strings.TrimPrefix(src.url, "file://"), cs)
	case src.kind == "GitRepository":
		return nil, fmt.Errorf("git source %s: velad does not clone git repositories; use a local checkout (url file:///path) or a helm/oci repository", src.url)
	case src.oci:
		ch, err = fromOCI(src.url, cs)
	case strings.HasPrefix(src.url, "http://") || strings.HasPrefix(src.url, "https://"):
		ch, err = fromRepo(ctx, src.url, cs)
	default:
		return nil, fmt.Errorf("source url %q: unsupported scheme; use http(s)://, oci://, file:///path or %s<name>", src.url, ConfigMapScheme)
	}
	if err != nil {
		return nil, err
	}
	if err := checkVersion(ch, cs.Version); err != nil {
		return nil, err
	}
	return ch, nil
}

// constraint parses a chart version constraint; "" and "*" accept any version.
func constraint(v string) (*semver.Constraints, error) {
	if v == "" {
		v = "*"
	}
	c, err := semver.NewConstraint(v)
	if err != nil {
		return nil, fmt.Errorf("chart version %q is not a version or semver range: %w", v, err)
	}
	return c, nil
}

func checkVersion(ch *chart.Chart, want string) error {
	c, err := constraint(want)
	if err != nil {
		return err
	}
	v, err := semver.NewVersion(ch.Metadata.Version)
	if err != nil {
		return fmt.Errorf("chart %s has an invalid version %q: %w", ch.Name(), ch.Metadata.Version, err)
	}
	if !c.Check(v) {
		return fmt.Errorf("chart %s is version %s, which does not satisfy %q", ch.Name(), v, want)
	}
	return nil
}

// fromPath loads a chart directory or package under dir: dir/<chart>, dir/<chart>.tgz or the
// newest dir/<chart>-<version>.tgz satisfying the version. chart may be absolute.
func fromPath(dir string, cs chartSpec) (*chart.Chart, error) {
	p := cs.Chart
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	for _, cand := range []string{p, p + ".tgz"} {
		if _, err := os.Stat(cand); err == nil {
			ch, err := loader.Load(cand)
			if err != nil {
				return nil, fmt.Errorf("loading chart %s: %w", cand, err)
			}
			return ch, nil
		}
	}
	matches, _ := filepath.Glob(p + "-*.tgz")
	byVersion := map[string]string{}
	var versions []string
	for _, m := range matches {
		v := strings.TrimSuffix(strings.TrimPrefix(m, p+"-"), ".tgz")
		byVersion[v] = m
		versions = append(versions, v)
	}
	v, err := newest(versions, cs.Version)
	if err != nil {
		return nil, err
	}
	if v == "" {
		return nil, fmt.Errorf("chart %q not found in %s: expected a chart directory %s, %s.tgz or %s-<version>.tgz", cs.Chart, dir, p, p, p)
	}
	ch, err := loader.Load(byVersion[v])
	if err != nil {
		return nil, fmt.Errorf("loading chart %s: %w", byVersion[v], err)
	}
	return ch, nil
}

// newest is the highest of versions satisfying want ("" if none).
func newest(versions []string, want string) (string, error) {
	c, err := constraint(want)
	if err != nil {
		return "", err
	}
	var ok []*semver.Version
	orig := map[*semver.Version]string{}
	for _, s := range versions {
		v, err := semver.NewVersion(s)
		if err != nil || !c.Check(v) {
			continue
		}
		ok = append(ok, v)
		orig[v] = s
	}
	if len(ok) == 0 {
		return "", nil
	}
	sort.Sort(semver.Collection(ok))
	return orig[ok[len(ok)-1]], nil
}

// fromConfigMap loads a packaged chart from a ConfigMap's binaryData: the key <chart>,
// <chart>.tgz, the newest <chart>-<version>.tgz, or the only key there is.
func fromConfigMap(ctx context.Context, c client.Reader, namespace, ref string, cs chartSpec) (*chart.Chart, error) {
	name := ref
	if i := strings.Index(ref, "/"); i >= 0 {
		namespace, name = ref[:i], ref[i+1:]
	}
	cm := &corev1.ConfigMap{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, cm); err != nil {
		return nil, fmt.Errorf("reading chart ConfigMap %s/%s: %w", namespace, name, err)
	}
	data := cm.BinaryData
	key := ""
	for _, k := range []string{cs.Chart, cs.Chart + ".tgz"} {
		if _, ok := data[k]; ok {
			key = k
			break
		}
	}
	if key == "" {
		var versions []string
		for k := range data {
			if v, ok := strings.CutPrefix(k, cs.Chart+"-"); ok && strings.HasSuffix(v, ".tgz") {
				versions = append(versions, strings.TrimSuffix(v, ".tgz"))
			}
		}
		if v, err := newest(versions, cs.Version); err == nil && v != "" {
			key = cs.Chart + "-" + v + ".tgz"
		}
	}
	if key == "" && len(data) == 1 {
		for k := range data {
			key = k
		}
	}
	if key == "" {
		return nil, fmt.Errorf("chart %q not found in ConfigMap %s/%s: put the package (helm package) in binaryData under %q or %q", cs.Chart, namespace, name, cs.Chart+".tgz", cs.Chart+"-<version>.tgz")
	}
	ch, err := loader.LoadArchive(bytes.NewReader(data[key]))
	if err != nil {
		return nil, fmt.Errorf("loading chart from ConfigMap %s/%s key %q: %w", namespace, name, key, err)
	}
	return ch, nil
}

// fromRepo downloads the chart from an HTTP chart repository.
func fromRepo(ctx context.Context, repoURL string, cs chartSpec) (*chart.Chart, error) {
	g, err := getter.NewHTTPGetter()
	if err != nil {
		return nil, err
	}
	base := strings.TrimSuffix(repoURL, "/")
	idxData, err := g.Get(base + "/index.yaml")
	if err != nil {
		return nil, fmt.Errorf("fetching chart repository index %s/index.yaml: %w (%s)", base, err, offlineHint)
	}
	f, err := os.CreateTemp("", "velad-helm-index-*.yaml")
	if err != nil {
		return nil, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(idxData.Bytes()); err != nil {
		f.Close()
		return nil, err
	}
	f.Close()
	idx, err := repo.LoadIndexFile(f.Name())
	if err != nil {
		return nil, fmt.Errorf("reading chart repository index of %s: %w", base, err)
	}
	version := cs.Version
	if version == "*" {
		version = ""
	}
	cv, err := idx.Get(cs.Chart, version)
	if err != nil || len(cv.URLs) == 0 {
		return nil, fmt.Errorf("chart %q version %q not found in repository %s", cs.Chart, cs.Version, base)
	}
	u, err := repo.ResolveReferenceURL(base+"/", cv.URLs[0])
	if err != nil {
		return nil, err
	}
	if _, err := url.Parse(u); err != nil {
		return nil, err
	}
	data, err := g.Get(u)
	if err != nil {
		return nil, fmt.Errorf("downloading chart %s: %w (%s)", u, err, offlineHint)
	}
	return loader.LoadArchive(data)
}

// fromOCI pulls oci://<url>/<chart>:<version>; a range picks the newest matching tag.
func fromOCI(repoURL string, cs chartSpec) (*chart.Chart, error) {
	rc, err := registry.NewClient()
	if err != nil {
		return nil, err
	}
	ref := strings.TrimSuffix(strings.TrimPrefix(repoURL, "oci://"), "/") + "/" + cs.Chart
	version := cs.Version
	if _, err := semver.StrictNewVersion(strings.TrimPrefix(version, "v")); err != nil {
		tags, err := rc.Tags(ref)
		if err != nil {
			return nil, fmt.Errorf("listing tags of oci://%s: %w (%s)", ref, err, offlineHint)
		}
		if version, err = newest(tags, cs.Version); err != nil || version == "" {
			return nil, fmt.Errorf("no tag of oci://%s satisfies version %q", ref, cs.Version)
		}
	}
	res, err := rc.Pull(ref + ":" + version)
	if err != nil {
		return nil, fmt.Errorf("pulling oci://%s:%s: %w (%s)", ref, version, err, offlineHint)
	}
	if res.Chart == nil {
		return nil, errors.New("oci pull returned no chart")
	}
	return loader.LoadArchive(bytes.NewReader(res.Chart.Data))
}
