package addon

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/repo"
	"sigs.k8s.io/yaml"
)

// remoteTimeout bounds one request to a helm registry or one git command.
const remoteTimeout = 2 * time.Minute

// HelmSource is a helm-type registry as KubeVela stores it: a helm-repository style
// HTTP catalog whose index.yaml lists addon packages (<name>-<version>.tgz) by version.
type HelmSource struct {
	// URL is the catalog's base URL; index.yaml is read below it.
	URL string `json:"url"`
	// Username and Password, when set, are sent as HTTP basic auth to the catalog's host.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// InsecureSkipTLS skips verifying the server's certificate.
	InsecureSkipTLS bool `json:"insecureSkipTLS,omitempty"`
}

// GitSource is a git-type registry as KubeVela stores it: a repository, optionally a
// subdirectory of it, with one addon per directory.
type GitSource struct {
	// URL is what `git clone` takes (https://…, ssh, file://…).
	URL string `json:"url"`
	// Path is the directory of the repository holding the addons ("" for its root).
	Path string `json:"path,omitempty"`
	// Token, when set, authenticates HTTPS requests (sent as an HTTP header, never in the URL).
	Token string `json:"token,omitempty"`
}

// HelmRegistry returns a registry reading the helm-type catalog src. Nothing is fetched
// until the registry is read; then index.yaml is fetched once.
func HelmRegistry(name string, src HelmSource) Registry {
	return Registry{Name: name, Kind: KindHelm, Location: redactURL(src.URL), cat: &helmCatalog{name: name, src: src}}
}

// GitRegistry returns a registry reading the git repository src, cloned (or, when cloned
// before, fetched) under cacheDir/<name> with the system git the first time it is read.
func GitRegistry(name string, src GitSource, cacheDir string) Registry {
	loc := redactURL(src.URL)
	if src.Path != "" {
		loc += " (" + src.Path + ")"
	}
	return Registry{Name: name, Kind: KindGit, Location: loc, cat: &gitCatalog{name: name, src: src, dir: filepath.Join(cacheDir, name)}}
}

// redactURL drops credentials from a URL shown to users.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}

// helmIndex is a helm repository's index.yaml: Helm's own repo.IndexFile, newest version of
// each addon first, and the versions KubeVela's `invisible` flag hides (Helm's type has no
// field for it).
type helmIndex struct {
	*repo.IndexFile
	invisible map[string]bool // "<name> <version>"
}

// parseHelmIndex reads index.yaml leniently, as KubeVela does: unlike Helm's strict
// repo.LoadIndexFile it takes fields Helm does not know (such as `invisible`) and versions
// that are not semver; Helm's SortEntries orders each addon's versions newest first.
func parseHelmIndex(data []byte) (helmIndex, error) {
	idx := &repo.IndexFile{}
	if err := yaml.Unmarshal(data, idx); err != nil {
		return helmIndex{}, err
	}
	var flags struct {
		Entries map[string][]struct {
			Version   string `json:"version"`
			Invisible bool   `json:"invisible"`
		} `json:"entries"`
	}
	if err := yaml.Unmarshal(data, &flags); err != nil {
		return helmIndex{}, err
	}
	hidden := map[string]bool{}
	for name, list := range flags.Entries {
		for _, v := range list {
			if v.Invisible {
				hidden[name+" "+v.Version] = true
			}
		}
	}
	for name, list := range idx.Entries {
		list = slices.DeleteFunc(list, func(v *repo.ChartVersion) bool { return v == nil })
		for _, v := range list {
			if v.Metadata == nil {
				v.Metadata = &chart.Metadata{}
			}
		}
		idx.Entries[name] = list
	}
	idx.SortEntries()
	return helmIndex{IndexFile: idx, invisible: hidden}, nil
}

type helmCatalog struct {
	name string
	src  HelmSource
	idx  untilOK[helmIndex]
}

// untilOK keeps the first successful result of a load: a failure (an unreachable registry) goes
// to its caller only, and the next call tries again.
type untilOK[T any] struct {
	mu   sync.Mutex
	done bool
	v    T
}

// get returns the kept result, or runs load.
func (u *untilOK[T]) get(load func() (T, error)) (T, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.done {
		v, err := load()
		if err != nil {
			return v, err
		}
		u.v, u.done = v, true
	}
	return u.v, nil
}

func (h *helmCatalog) client() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if h.src.InsecureSkipTLS {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the user asked for it
	}
	return &http.Client{Transport: tr, Timeout: remoteTimeout}
}

// get fetches u; credentials go only to the catalog's own host.
func (h *helmCatalog) get(u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if base, err := url.Parse(h.src.URL); err == nil && base.Host == req.URL.Host && h.src.Username != "" {
		req.SetBasicAuth(h.src.Username, h.src.Password)
	}
	resp, err := h.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("addon registry %s: %w", h.name, redactErr(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		hint := ""
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			hint = " (check --username/--password: vela addon registry update " + h.name + ")"
		}
		return nil, fmt.Errorf("addon registry %s: GET %s: %s%s", h.name, redactURL(u), resp.Status, hint)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxArchiveSize+1))
	if err == nil && len(data) > maxArchiveSize {
		err = fmt.Errorf("larger than %d MiB", maxArchiveSize>>20)
	}
	if err != nil {
		return nil, fmt.Errorf("addon registry %s: GET %s: %w", h.name, redactURL(u), err)
	}
	return data, nil
}

// redactErr rewrites an HTTP client error so it never shows the URL's credentials.
func redactErr(err error) error {
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return fmt.Errorf("%s %s: %w", uerr.Op, redactURL(uerr.URL), uerr.Err)
	}
	return err
}

func (h *helmCatalog) index() (helmIndex, error) {
	return h.idx.get(func() (helmIndex, error) {
		indexURL, err := h.resolve(IndexFile)
		if err != nil {
			return helmIndex{}, err
		}
		data, err := h.get(indexURL)
		if err != nil {
			return helmIndex{}, err
		}
		idx, err := parseHelmIndex(data)
		if err != nil {
			return helmIndex{}, fmt.Errorf("addon registry %s: %s is not a helm repository index: %w", h.name, redactURL(indexURL), err)
		}
		return idx, nil
	})
}

// resolve turns a URL of index.yaml (relative or absolute) into an absolute one.
func (h *helmCatalog) resolve(ref string) (string, error) {
	base, err := url.Parse(strings.TrimSuffix(h.src.URL, "/") + "/")
	if err != nil || base.Scheme == "" || base.Host == "" {
		return "", fmt.Errorf("addon registry %s: endpoint %q is not an http(s) URL", h.name, redactURL(h.src.URL))
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("addon registry %s: bad package URL %q: %w", h.name, ref, err)
	}
	return base.ResolveReference(r).String(), nil
}

func (h *helmCatalog) names() ([]string, error) {
	idx, err := h.index()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(idx.Entries))
	for n := range idx.Entries {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

func (h *helmCatalog) entries() ([]Entry, []error) {
	idx, err := h.index()
	if err != nil {
		return nil, []error{err}
	}
	var out []Entry
	for name, list := range idx.Entries {
		if len(list) == 0 {
			continue
		}
		e := Entry{Name: name, Description: list[0].Description, Invisible: idx.invisible[name+" "+list[0].Version]}
		for _, v := range list {
			e.Versions = append(e.Versions, v.Version)
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (h *helmCatalog) load(name, version string) (*Addon, error) {
	idx, err := h.index()
	if err != nil {
		return nil, err
	}
	list := idx.Entries[name]
	if len(list) == 0 {
		return nil, fs.ErrNotExist
	}
	entry := list[0]
	if version != "" {
		found := false
		var avail []string
		for _, e := range list {
			avail = append(avail, e.Version)
			if !found && trimV(e.Version) == trimV(version) {
				entry, found = e, true
			}
		}
		if !found {
			return nil, &VersionError{Registry: h.name, Addon: name, Version: version, Available: avail}
		}
	}
	if len(entry.URLs) == 0 {
		return nil, fmt.Errorf("addon registry %s: index.yaml lists %s %s without urls", h.name, name, entry.Version)
	}
	pkgURL, err := h.resolve(entry.URLs[0])
	if err != nil {
		return nil, err
	}
	data, err := h.get(pkgURL)
	if err != nil {
		return nil, err
	}
	a, err := LoadArchive(data, h.name, h.name+":"+redactURL(pkgURL))
	if err != nil {
		return nil, err
	}
	if a.Meta.Name != name || trimV(a.Meta.Version) != trimV(entry.Version) {
		return nil, fmt.Errorf("addon registry %s: %s holds %s %s, but index.yaml lists it as %s %s",
			h.name, redactURL(pkgURL), a.Meta.Name, a.Meta.Version, name, entry.Version)
	}
	return a, nil
}

type gitCatalog struct {
	name string
	src  GitSource
	dir  string
	reg  untilOK[Registry]
}

// sync clones the repository into the cache, or fetches it when cloned before, until it once
// succeeds.
func (g *gitCatalog) sync() (Registry, error) {
	return g.reg.get(func() (Registry, error) {
		if !cacheableName(g.name) {
			return Registry{}, fmt.Errorf("addon registry %q: the name cannot name its clone's directory (no '/', '\\', nor a leading '.'): delete it and add it under another name", g.name)
		}
		if _, err := exec.LookPath("git"); err != nil {
			return Registry{}, fmt.Errorf("addon registry %s is a git registry: reading it needs the git command, which is not installed (install git, or use a helm-type registry)", g.name)
		}
		var err error
		if _, statErr := os.Stat(filepath.Join(g.dir, ".git")); statErr == nil {
			err = g.git(g.dir, "remote", "set-url", "origin", g.src.URL)
			if err == nil {
				err = g.git(g.dir, "fetch", "--depth", "1", "origin", "HEAD")
			}
			if err == nil {
				err = g.git(g.dir, "reset", "--hard", "--quiet", "FETCH_HEAD")
			}
		} else {
			if err := os.MkdirAll(filepath.Dir(g.dir), 0o700); err != nil {
				return Registry{}, fmt.Errorf("addon registry %s: creating its cache: %w", g.name, err)
			}
			_ = os.RemoveAll(g.dir)
			err = g.git("", "clone", "--depth", "1", "--quiet", g.src.URL, g.dir)
		}
		if err != nil {
			return Registry{}, err
		}
		root := filepath.Join(g.dir, filepath.FromSlash(g.src.Path))
		if st, err := os.Stat(root); err != nil || !st.IsDir() {
			return Registry{}, fmt.Errorf("addon registry %s: the repository has no directory %q (check --path)", g.name, g.src.Path)
		}
		return DirRegistry(g.name, root), nil
	})
}

// git runs one git command; a token goes in an HTTP header through the environment,
// so it is neither in the process's arguments nor in any message.
func (g *gitCatalog) git(dir string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), remoteTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0")
	if g.src.Token != "" {
		auth := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + g.src.Token))
		cmd.Env = append(cmd.Env, "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.extraHeader",
			"GIT_CONFIG_VALUE_0=Authorization: Basic "+auth)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if g.src.Token != "" {
			msg = strings.ReplaceAll(msg, g.src.Token, "***")
		}
		if u, perr := url.Parse(g.src.URL); perr == nil && u.User != nil {
			msg = strings.ReplaceAll(msg, g.src.URL, redactURL(g.src.URL))
		}
		return fmt.Errorf("addon registry %s: git %s %s failed: %v: %s", g.name, args[0], redactURL(g.src.URL), err, msg)
	}
	return nil
}

func (g *gitCatalog) names() ([]string, error) {
	r, err := g.sync()
	if err != nil {
		return nil, err
	}
	return r.Names()
}

func (g *gitCatalog) entries() ([]Entry, []error) {
	r, err := g.sync()
	if err != nil {
		return nil, []error{err}
	}
	return r.Entries()
}

func (g *gitCatalog) load(name, version string) (*Addon, error) {
	r, err := g.sync()
	if err != nil {
		return nil, err
	}
	a, err := r.GetVersion(name, version)
	if a != nil {
		a.Registry = g.name
	}
	return a, err
}
