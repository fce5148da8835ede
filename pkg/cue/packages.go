package cue

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/parser"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientscheme "k8s.io/client-go/kubernetes/scheme"

	"velad.io/velad/pkg/cue/provider"
)

// kubePrefix is the import path prefix of the generated Kubernetes schemas,
// e.g. `import apps "kube/apps/v1"` exposing apps.#Deployment.
const kubePrefix = "kube/"

// legacyKinds lists kinds that old KubeVela templates import although current
// Kubernetes no longer serves them; they still compile to apiVersion/kind stubs.
var legacyKinds = map[string][]string{
	"networking.k8s.io/v1beta1": {"Ingress", "IngressClass"},
	"extensions/v1beta1":        {"Ingress", "Deployment", "DaemonSet", "ReplicaSet"},
	"apps/v1beta1":              {"Deployment", "StatefulSet"},
	"apps/v1beta2":              {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"},
	"batch/v1beta1":             {"CronJob"},
	"autoscaling/v2beta2":       {"HorizontalPodAutoscaler"},
	"policy/v1beta1":            {"PodDisruptionBudget"},
}

// packages resolves the non-standard CUE imports templates may use. It is
// immutable after construction and shared by all workers.
type packages struct {
	providers map[string]*provider.Provider // by import path
	kinds     map[string][]string           // "group/version" -> kinds
	srcMu     sync.Mutex
	srcCache  map[string]map[string]string // import path -> generated files
}

func newPackages(providers []*provider.Provider) (*packages, error) {
	p := &packages{
		providers: map[string]*provider.Provider{},
		kinds:     kubeKinds(),
		srcCache:  map[string]map[string]string{},
	}
	for _, pr := range providers {
		if pr.ImportPath == "" {
			return nil, fmt.Errorf("provider %q has no import path", pr.Name)
		}
		if _, dup := p.providers[pr.ImportPath]; dup {
			return nil, fmt.Errorf("provider import path %q registered twice", pr.ImportPath)
		}
		p.providers[pr.ImportPath] = pr
	}
	return p, nil
}

// kubeKinds lists every kind of client-go's scheme plus legacyKinds by group/version.
func kubeKinds() map[string][]string {
	out := map[string][]string{}
	seen := map[schema.GroupVersionKind]bool{}
	add := func(gvk schema.GroupVersionKind) {
		if seen[gvk] || gvk.Version == "__internal" || strings.HasSuffix(gvk.Kind, "List") ||
			strings.HasSuffix(gvk.Kind, "Options") || gvk.Kind == "WatchEvent" || gvk.Kind == "Status" {
			return
		}
		seen[gvk] = true
		gv := gvk.GroupVersion().String()
		out[gv] = append(out[gv], gvk.Kind)
	}
	for gvk := range clientscheme.Scheme.AllKnownTypes() {
		add(gvk)
	}
	for gv, kinds := range legacyKinds {
		g, _ := schema.ParseGroupVersion(gv)
		for _, k := range kinds {
			add(g.WithKind(k))
		}
	}
	for gv := range out {
		sort.Strings(out[gv])
	}
	return out
}

// known reports whether importPath is one this resolver provides.
func (p *packages) known(importPath string) bool {
	if _, ok := p.providers[importPath]; ok {
		return true
	}
	_, ok := p.kubeGV(importPath)
	return ok
}

// kubeGV maps "kube/apps/v1" to "apps/v1" and "kube/v1" to "v1".
func (p *packages) kubeGV(importPath string) (string, bool) {
	if !strings.HasPrefix(importPath, kubePrefix) {
		return "", false
	}
	gv := strings.TrimPrefix(importPath, kubePrefix)
	_, ok := p.kinds[gv]
	return gv, ok
}

// files returns the CUE sources of a provided package.
func (p *packages) files(importPath string) (map[string]string, error) {
	if pr, ok := p.providers[importPath]; ok {
		return pr.Files, nil
	}
	gv, ok := p.kubeGV(importPath)
	if !ok {
		return nil, fmt.Errorf("unknown package %q", importPath)
	}
	p.srcMu.Lock()
	defer p.srcMu.Unlock()
	if f, ok := p.srcCache[importPath]; ok {
		return f, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "package %s\n\n", path.Base(importPath))
	for _, kind := range p.kinds[gv] {
		fmt.Fprintf(&b, "#%s: {\n\tapiVersion: %q\n\tkind: %q\n\tmetadata?: {...}\n\t...\n}\n", kind, gv, kind)
	}
	f := map[string]string{"kube.cue": b.String()}
	p.srcCache[importPath] = f
	return f, nil
}

// importCache holds one worker's build instances of provided packages. Sharing a
// *build.Instance across builds lets the CUE runtime compile each package once.
type importCache struct {
	pkgs *packages
	ctx  *build.Context
	inst map[string]*build.Instance
}

func newImportCache(p *packages) *importCache {
	return &importCache{pkgs: p, ctx: build.NewContext(), inst: map[string]*build.Instance{}}
}

// resolve adds build instances for every provided package file f imports
// (transitively). Standard-library imports are left to CUE.
func (c *importCache) resolve(inst *build.Instance, f *ast.File) error {
	for spec := range f.ImportSpecs() {
		ip := strings.Trim(spec.Path.Value, `"`)
		if !c.pkgs.known(ip) {
			continue
		}
		dep, err := c.instance(ip)
		if err != nil {
			return err
		}
		if inst.LookupImport(ip) == nil {
			inst.Imports = append(inst.Imports, dep)
		}
	}
	return nil
}

func (c *importCache) instance(ip string) (*build.Instance, error) {
	if in, ok := c.inst[ip]; ok {
		return in, nil
	}
	files, err := c.pkgs.files(ip)
	if err != nil {
		return nil, err
	}
	in := c.ctx.NewInstance(ip, nil)
	in.ImportPath = ip
	in.PkgName = path.Base(ip)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		af, err := parser.ParseFile(ip+"/"+n, files[n], parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("parsing package %s file %s: %w", ip, n, err)
		}
		if err := in.AddSyntax(af); err != nil {
			return nil, fmt.Errorf("adding package %s file %s: %w", ip, n, err)
		}
		if err := c.resolve(in, af); err != nil {
			return nil, err
		}
	}
	c.inst[ip] = in
	return in, nil
}
