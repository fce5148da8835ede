package cue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"runtime"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/parser"

	"velad.io/velad/pkg/cue/provider"
)

// defaultCacheSize bounds the compiled templates kept per worker.
const defaultCacheSize = 512

// defaultMemoSize bounds the remembered render results (a few KiB each).
const defaultMemoSize = 4096

// Engine evaluates CUE templates. It is safe for concurrent use: evaluation runs
// on a fixed pool of workers, each owning a CUE runtime and a cache of compiled
// templates keyed by the template's source.
type Engine struct {
	pkgs    *packages
	workers chan *worker
	memo    *memo
	stats   stats
}

// Option configures an Engine.
type Option func(*options)

type options struct {
	workers   int
	cacheSize int
	memoSize  int
	reference bool
	providers []*provider.Provider
}

// WithWorkers sets how many templates can be evaluated in parallel (default GOMAXPROCS).
func WithWorkers(n int) Option { return func(o *options) { o.workers = n } }

// WithCacheSize sets how many compiled templates each worker keeps (default 512).
func WithCacheSize(n int) Option { return func(o *options) { o.cacheSize = n } }

// WithRenderCache sets how many render results are remembered by their
// inputs (default 4096); 0 turns the cache off, so every Render evaluates.
func WithRenderCache(n int) Option { return func(o *options) { o.memoSize = n } }

// WithReferenceRendering makes Render take the plain road: every template
// evaluated whole, without splitting off its parameter schema (see split), and
// every patch decoded by reading each field's comments (see tagsAreStatic).
// Same results, slower: for tests, and to rule the shortcuts out when debugging.
func WithReferenceRendering() Option { return func(o *options) { o.reference = true } }

// WithProviders registers importable provider packages (e.g. vela/op).
func WithProviders(ps ...*provider.Provider) Option {
	return func(o *options) { o.providers = append(o.providers, ps...) }
}

// New builds an Engine.
func New(opts ...Option) (*Engine, error) {
	o := options{workers: runtime.GOMAXPROCS(0), cacheSize: defaultCacheSize, memoSize: defaultMemoSize}
	for _, opt := range opts {
		opt(&o)
	}
	if o.workers < 1 {
		o.workers = 1
	}
	pkgs, err := newPackages(o.providers)
	if err != nil {
		return nil, err
	}
	e := &Engine{pkgs: pkgs, workers: make(chan *worker, o.workers), memo: newMemo(o.memoSize)}
	for i := 0; i < o.workers; i++ {
		e.workers <- &worker{
			ctx:       cuecontext.New(),
			imports:   newImportCache(pkgs),
			cache:     map[string]*compiled{},
			max:       o.cacheSize,
			reference: o.reference,
		}
	}
	return e, nil
}

// Provider returns the registered provider with the given import path, or nil.
func (e *Engine) Provider(importPath string) *provider.Provider {
	return e.pkgs.providers[importPath]
}

// ProviderByName returns the registered provider whose Name is name, or nil.
func (e *Engine) ProviderByName(name string) *provider.Provider {
	for _, p := range e.pkgs.providers {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Do runs fn on a worker: the CUE runtime passed to fn and every value derived
// from it must not escape fn. The workflow runtime uses it to drive step templates.
func (e *Engine) Do(ctx context.Context, fn func(w *Worker) error) error {
	select {
	case w := <-e.workers:
		defer func() { e.workers <- w }()
		return fn(&Worker{w: w})
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Validate compiles src (a template or status snippet) and evaluates it with
// an empty parameter and a placeholder context (empty output and outputs),
// reporting syntax, import, reference and conflict errors. Fields that stay
// incomplete without real inputs are not errors.
func (e *Engine) Validate(ctx context.Context, src string) error {
	return e.Do(ctx, func(w *Worker) error {
		c, err := w.w.compile(src)
		if err != nil {
			return err
		}
		if err := c.v.Err(); isStructural(err) {
			return fmt.Errorf("compiling template: %w", flatten(err))
		}
		vet := &Context{Name: "vet", AppName: "vet", Namespace: "default", Output: map[string]any{}, Outputs: map[string]any{}}
		v := c.v.FillPath(cue.MakePath(), map[string]any{"context": vet.Map()})
		if err := v.Validate(); err != nil {
			return flatten(err)
		}
		return nil
	})
}

// isStructural reports compile errors — unresolved references and the like —
// as opposed to evaluation errors caused by the still-unknown context.
func isStructural(err error) bool {
	return err != nil && strings.Contains(err.Error(), "not found")
}

// Worker is exclusive access to one CUE runtime, handed out by Engine.Do.
type Worker struct{ w *worker }

// Compile returns the compiled template for src, from the cache when possible.
func (w *Worker) Compile(src string) (cue.Value, error) {
	c, err := w.w.compile(src)
	if err != nil {
		return cue.Value{}, err
	}
	return c.v, nil
}

// Context returns the worker's CUE context, e.g. to Encode Go values.
func (w *Worker) Context() *cue.Context { return w.w.ctx }

type worker struct {
	ctx     *cue.Context
	imports *importCache
	// cache is keyed by the source itself: Go's map hash of a template is far
	// cheaper than a SHA-256 per render, and definitions hold the strings anyway.
	cache map[string]*compiled
	max   int
	// reference is WithReferenceRendering: no split templates, patches decoded field by field.
	reference bool
}

// compiled is a built template and the context paths it reads.
type compiled struct {
	v cue.Value
	// hash is Hash of the source, computed once for the render cache's keys.
	hash string
	// ctxPaths are the `context.<key>.<field>...` selector chains the source
	// uses; nil means the template uses `context` in another way and gets all of it.
	ctxPaths *pathTree
	// tags are the patch annotations in the source (see staticTags);
	// tagsStatic says they are all a patch can carry (see tagsAreStatic).
	tags       map[string]Tags
	tagsStatic bool
	// top are the template's top-level fields (see topLevel).
	top topFields
	// patches says the template may have `patch` or `patchOutputs`.
	patches bool
	// split is the template cut for Render (see split), nil when it cannot be
	// cut; splitDone tells whether cutting was tried.
	split     *split
	splitDone bool
}

// context returns the context value to fill: only the keys, and within
// objects (output, outputs) only the fields, the template selects, since
// encoding and unifying unused parts (a trait's whole context.output) is costly.
func (c *compiled) context(ctx *Context) map[string]any {
	if c.ctxPaths == nil {
		return ctx.Map()
	}
	m := make(map[string]any, len(c.ctxPaths.kids))
	for k, t := range c.ctxPaths.kids {
		if v, ok := ctx.lookup(k); ok {
			m[k] = t.project(v)
		}
	}
	return m
}

// pathTree is a set of field paths: a node marked whole keeps its entire value.
type pathTree struct {
	whole bool
	kids  map[string]*pathTree
}

// add records the path sel (field names from the root).
func (t *pathTree) add(sel []string) {
	if t = t.reach(sel); t != nil {
		t.whole, t.kids = true, nil
	}
}

// reach returns the node for sel, creating it, or nil when a whole node is on
// the way (everything below it is kept anyway). A node reached only this way
// keeps no fields: a struct projects to {}, enough for `!= _|_` tests.
func (t *pathTree) reach(sel []string) *pathTree {
	for _, s := range sel {
		if t.whole {
			return nil
		}
		if t.kids == nil {
			t.kids = map[string]*pathTree{}
		}
		k := t.kids[s]
		if k == nil {
			k = &pathTree{}
			t.kids[s] = k
		}
		t = k
	}
	if t.whole {
		return nil
	}
	return t
}

// project returns the part of v on the tree's paths: a struct keeps only the
// fields on a path; anything else (a list, a scalar, a whole node) is kept as is.
func (t *pathTree) project(v any) any {
	m, ok := v.(map[string]any)
	if t.whole || !ok {
		return v
	}
	out := make(map[string]any, len(t.kids))
	for k, kt := range t.kids {
		if x, ok := m[k]; ok {
			out[k] = kt.project(x)
		}
	}
	return out
}

// contextRef matches `context` and the chain of `.identifier` selectors after it.
var contextRef = regexp.MustCompile(`\bcontext\b((?:\.[A-Za-z_$][A-Za-z0-9_$]*)*)`)

// existenceTest matches what follows a chain that is only tested for existence.
var existenceTest = regexp.MustCompile(`^\s*[!=]=\s*_\|_`)

// contextKeys returns the context paths src selects, or nil if it uses
// `context` other than as `context.<identifier>...`. A chain ends at anything
// but `.identifier` (an index, a quoted label, an operator), and the value at
// its end is kept whole, so `context.output.spec` keeps all of spec — unless
// the chain is only compared with _|_ (`context.output.spec != _|_`): then its
// fields are kept only as far as other chains need them.
func contextKeys(src string) *pathTree {
	root := &pathTree{kids: map[string]*pathTree{}}
	for _, m := range contextRef.FindAllStringSubmatchIndex(src, -1) {
		chain := src[m[2]:m[3]]
		if chain == "" {
			return nil
		}
		sel := strings.Split(chain[1:], ".")
		if existenceTest.MatchString(src[m[1]:]) {
			root.reach(sel)
		} else {
			root.add(sel)
		}
	}
	return root
}

// Hash returns the cache key of a template source.
func Hash(src string) string {
	sum := sha256.Sum256([]byte(src))
	return hex.EncodeToString(sum[:])
}

func (w *worker) compile(src string) (*compiled, error) {
	if c, ok := w.cache[src]; ok {
		return c, nil
	}
	c, err := w.build(src)
	if err != nil {
		return nil, err
	}
	if len(w.cache) >= w.max {
		clear(w.cache) // simple and bounded; definitions are few, so this is rare
	}
	c.hash, c.ctxPaths, c.tagsStatic = Hash(src), contextKeys(src), c.tagsStatic && !w.reference
	w.cache[src] = c
	return c, nil
}

// build compiles src with the facts read from its syntax (patch tags, top-level fields).
func (w *worker) build(src string) (*compiled, error) {
	// context and parameter are declared (at the end, after any imports) so
	// references resolve before the engine fills them; unification keeps the
	// template's own declarations.
	f, err := parser.ParseFile("template.cue", src+inputDecls, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("parsing template: %w", flatten(err))
	}
	inst := build.NewContext().NewInstance("", nil)
	if err := inst.AddSyntax(f); err != nil {
		return nil, fmt.Errorf("loading template: %w", flatten(err))
	}
	if err := w.imports.resolve(inst, f); err != nil {
		return nil, fmt.Errorf("resolving imports: %w", err)
	}
	c := &compiled{tags: staticTags(f), tagsStatic: tagsAreStatic(f), top: topLevel(f)}
	c.patches = c.top.may("patch") || c.top.may("patchOutputs")
	// No evaluation here: with `context` still open, conditions over it are
	// undecided and may fail spuriously. Evaluation errors surface when the
	// template is filled (Render, EvalStatus) or vetted (Validate).
	c.v = w.ctx.BuildInstance(inst)
	if err := c.v.Err(); isStructural(err) {
		return nil, fmt.Errorf("compiling template: %w", flatten(err))
	}
	return c, nil
}

// topFields are the top-level field names of a template; nil means any
// field may exist (see topLevel).
type topFields map[string]bool

// may reports whether the template can have the top-level field name.
func (t topFields) may(name string) bool { return t == nil || t[name] }

// topLevel returns the fields f declares at file level, or nil when an
// embedding, a comprehension, an alias or a dynamic label may add others.
func topLevel(f *ast.File) topFields {
	labels, ok := fieldLabels(f)
	if !ok {
		return nil
	}
	top := topFields{}
	for _, l := range labels {
		if l != "" {
			top[l] = true
		}
	}
	return top
}

// fieldLabels returns the label of each of f's top-level declarations that is
// a field ("" for imports, lets and the like); ok is false when a declaration
// is an embedding, a comprehension, an aliased or a dynamic field.
func fieldLabels(f *ast.File) (labels []string, ok bool) {
	labels = make([]string, len(f.Decls))
	for i, d := range f.Decls {
		switch n := d.(type) {
		case *ast.ImportDecl, *ast.Package, *ast.CommentGroup, *ast.Attribute, *ast.LetClause:
		case *ast.Field:
			if _, ok := n.Label.(*ast.Alias); ok {
				return nil, false
			}
			name, _, err := ast.LabelName(n.Label)
			if err != nil || name == "" {
				return nil, false
			}
			labels[i] = name
		default:
			return nil, false
		}
	}
	return labels, true
}
