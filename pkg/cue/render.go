package cue

import (
	"context"
	"fmt"
	"strings"

	"cuelang.org/go/cue"
	k8sjson "k8s.io/apimachinery/pkg/util/json"
)

// Object is one named rendered object (an entry of `outputs`).
type Object struct {
	// Name is the key under `outputs`.
	Name string
	// Object is the rendered Kubernetes object.
	Object map[string]any
}

// Patch is a rendered `patch` (or one `patchOutputs` entry) with its annotations.
type Patch struct {
	// Value is the concrete patch document.
	Value any
	// Strategy is the +patchStrategy on the patch field itself (jsonMergePatch, jsonPatch, retainKeys...).
	Strategy string
	// Tags holds +patchKey/+patchStrategy per field shape path ("spec.template.spec.containers").
	Tags map[string]Tags
}

// Result is what one template evaluation produced.
type Result struct {
	// Output is the `output` object, nil when the template has none.
	Output map[string]any
	// OutputDefaults are the paths in Output whose value is only a CUE default;
	// pass them to MergePatch so traits may override them, as CUE would.
	OutputDefaults map[string]bool
	// Outputs are the `outputs` entries in template order.
	Outputs []Object
	// Patch is the `patch`, nil when the template has none.
	Patch *Patch
	// PatchOutputs are the `patchOutputs` entries by output name.
	PatchOutputs map[string]*Patch
	// Parameter is the parameter after defaults were applied (best effort);
	// nil when rendered WithoutParameter.
	Parameter map[string]any
}

// Render fills template with parameter and c, and decodes output, outputs,
// patch and patchOutputs. A non-empty `errs` list, a parameter conflict, a
// missing required parameter or an incomplete output is an *Error whose field
// paths start at "parameter", "output", "outputs.<name>", "patch" or "errs".
func (e *Engine) Render(ctx context.Context, template string, parameter map[string]any, c *Context, opts ...RenderOption) (*Result, error) {
	var ro renderOptions
	for _, o := range opts {
		o(&ro)
	}
	var res *Result
	var rerr error
	err := e.Do(ctx, func(w *Worker) error {
		tc, err := w.w.compile(template)
		if err != nil {
			return err
		}
		if parameter == nil {
			parameter = map[string]any{}
		}
		if c == nil {
			c = &Context{}
		}
		cm := tc.context(c)
		var key string
		cacheable := false
		if e.memo != nil { // hashing the inputs is wasted work without a cache
			key, cacheable = memoKey(tc.hash, parameter, cm)
			if ro.noParameter { // a result without Parameter is not one with it
				key += "-"
			}
		}
		if cacheable {
			var hit bool
			if res, rerr, hit = e.memo.get(key); hit {
				return nil
			}
		}
		if !w.w.reference && !tc.splitDone {
			tc.split, tc.splitDone = w.w.splitTemplate(template), true
		}
		res, rerr = render(tc, parameter, cm, c, &e.stats, !ro.noParameter)
		if cacheable {
			e.memo.put(key, res, rerr)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, rerr
}

// render evaluates a compiled template with its inputs: through its split
// form when it has one and that succeeds, else whole; cm is c's context map.
// Patches are decoded with the source's tags alone (tagsStatic) unless an
// input holds bytes: CUE's JSON encoder would give them as base64, the field
// walk as text. Inputs are only looked at when the template can patch.
func render(tc *compiled, parameter, cm map[string]any, c *Context, st *stats, wantParameter bool) (*Result, error) {
	static := tc.tagsStatic && tc.patches && !hasBytes(parameter) && !c.bytesIn(cm)
	if tc.split != nil {
		if res, ok := tc.split.render(parameter, cm, tc, static, wantParameter); ok {
			st.count(true, false, static, res)
			return res, nil
		}
	}
	v := tc.fill(parameter, cm)
	pm, err := filledParameter(v.LookupPath(field("parameter")), parameter, wantParameter)
	if err != nil {
		return nil, err
	}
	res, err := tc.result(v, pm, static)
	if err == nil {
		st.count(false, tc.split != nil, static, res)
	}
	return res, err
}

// result reports a non-empty `errs`, else decodes the filled template v;
// pm is the parameter after defaults, static says patches are decoded with
// the source's tags alone.
func (tc *compiled) result(v cue.Value, pm map[string]any, static bool) (*Result, error) {
	if tc.top.may("errs") {
		if err := checkErrs(v); err != nil {
			return nil, err
		}
	}
	res, err := decodeResult(v, tc.tags, static, tc.top)
	if err != nil {
		return nil, err
	}
	res.Parameter = pm
	return res, nil
}

// filledParameter runs checkParameter's checks and decodes the parameter after
// defaults (best effort).
func filledParameter(pv cue.Value, user map[string]any, want bool) (map[string]any, error) {
	if !want {
		// Every regular field concrete: checkParameter would find nothing
		// either (it walks for missing fields only when the encoding fails).
		if pv.Validate(cue.Concrete(true)) == nil {
			return nil, nil
		}
		_, err := checkParameter(pv, user)
		return nil, err
	}
	b, err := checkParameter(pv, user)
	if err != nil || !pv.Exists() {
		return nil, err
	}
	if b != nil {
		var out map[string]any
		if k8sjson.Unmarshal(b, &out) == nil {
			return out, nil
		}
	}
	m, _ := newDecoder(false).decode(pv, "parameter", "").(map[string]any)
	return m, nil
}

// fill unifies the template with its parameter and context (FillInputs).
func (tc *compiled) fill(parameter, cm map[string]any) cue.Value {
	return FillInputs(tc.v, parameter, cm)
}

// FillInputs unifies v with `parameter` and `context` in one FillPath (each FillPath
// re-evaluates the whole value). The inputs are encoded first so that a Go nil becomes CUE
// null, as JSON null does in KubeVela (a trait sets a label to null to delete it); FillPath
// alone would turn a nested nil into top (_), which unifies with anything.
func FillInputs(v cue.Value, parameter, context map[string]any) cue.Value {
	in := v.Context().Encode(map[string]any{"parameter": parameter, "context": context})
	return v.FillPath(cue.MakePath(), in)
}

// checkFilled reports parameter problems first, since they are the user's to
// fix, then a non-empty `errs`.
func checkFilled(v cue.Value, parameter map[string]any) error {
	if _, err := checkParameter(v.LookupPath(field("parameter")), parameter); err != nil {
		return err
	}
	return checkErrs(v)
}

// Fill compiles template and unifies it with parameter and c, with the same
// checks as Render, for callers driving a Worker directly (workflow steps).
// It does not use the render cache: the value is the caller's to evaluate.
func (w *Worker) Fill(template string, parameter map[string]any, c *Context) (cue.Value, error) {
	v, err := w.fillLoose(template, parameter, c)
	if err != nil {
		return cue.Value{}, err
	}
	if err := checkFilled(v, parameter); err != nil {
		return cue.Value{}, err
	}
	return v, nil
}

// RenderOption changes what Render decodes.
type RenderOption func(*renderOptions)

type renderOptions struct{ noParameter bool }

// WithoutParameter leaves Result.Parameter nil: the parameter is checked as
// always, but not decoded (appfile renders components and traits without it).
func WithoutParameter() RenderOption { return func(o *renderOptions) { o.noParameter = true } }

// field is a one-selector path; built without the CUE parser ParsePath uses.
func field(name string) cue.Path { return cue.MakePath(cue.Str(name)) }

// decodeResult decodes the filled template v; top says which of its fields
// may exist (each LookupPath is a separate, allocating CUE operation).
func decodeResult(v cue.Value, tags map[string]Tags, tagsStatic bool, top topFields) (*Result, error) {
	res := &Result{}
	d := newDecoder(false)
	lookup := func(name string) cue.Value {
		if !top.may(name) {
			return cue.Value{}
		}
		return v.LookupPath(field(name))
	}
	if ov := lookup("output"); ov.Exists() {
		soft := map[string]bool{}
		if m, ok := d.decodeSoft(ov, "output", "", soft).(map[string]any); ok && d.err() == nil {
			res.Output, res.OutputDefaults = m, soft
		} else if d.err() == nil {
			return nil, fieldErr("output", "must be a struct (a Kubernetes object), got %v", ov.IncompleteKind())
		}
	}
	if ov := lookup("outputs"); ov.Exists() {
		it, err := ov.Fields()
		if err != nil {
			return nil, flatten(err)
		}
		for it.Next() {
			name := it.Selector().Unquoted()
			m, _ := d.fast(it.Value(), joinPath("outputs", name)).(map[string]any)
			res.Outputs = append(res.Outputs, Object{Name: name, Object: m})
		}
	}
	if pv := lookup("patch"); pv.Exists() {
		res.Patch = decodePatch(pv, "patch", subTags(tags, "patch"), tagsStatic, d)
	}
	if pv := lookup("patchOutputs"); pv.Exists() {
		it, err := pv.Fields()
		if err != nil {
			return nil, flatten(err)
		}
		res.PatchOutputs = map[string]*Patch{}
		for it.Next() {
			name := it.Selector().Unquoted()
			res.PatchOutputs[name] = decodePatch(it.Value(), joinPath("patchOutputs", name), subTags(tags, joinPath("patchOutputs", name)), tagsStatic, d)
		}
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return res, nil
}

// decodePatch decodes a patch; annotations come from the source (static) and
// from the evaluated value's comments, the latter winning. When the source's
// are all there are (staticOnly, see tagsAreStatic) the value is decoded
// through CUE's JSON encoder without reading comments.
func decodePatch(v cue.Value, path string, static map[string]Tags, staticOnly bool, errs *decoder) *Patch {
	if staticOnly {
		d := newDecoder(false)
		p := &Patch{Strategy: static[""].PatchStrategy, Value: d.fast(v, path), Tags: static}
		errs.errs.Errs = append(errs.errs.Errs, d.errs.Errs...)
		return p
	}
	d := newDecoder(true)
	for k, t := range static {
		d.tags[k] = t
	}
	p := &Patch{Strategy: parseTags(v).PatchStrategy}
	if p.Strategy == "" {
		p.Strategy = static[""].PatchStrategy
	}
	p.Value = d.decode(v, path, "")
	p.Tags = d.tags
	errs.errs.Errs = append(errs.errs.Errs, d.errs.Errs...)
	return p
}

// checkErrs turns a non-empty `errs: [...string]` into an error.
func checkErrs(v cue.Value) error {
	ev := v.LookupPath(field("errs"))
	if !ev.Exists() {
		return nil
	}
	d := newDecoder(false)
	list, _ := d.decode(ev, "errs", "").([]any)
	if err := d.err(); err != nil {
		return err
	}
	var msgs []string
	for _, m := range list {
		if s := fmt.Sprint(m); s != "" {
			msgs = append(msgs, s)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fieldErr("errs", "%s", strings.Join(msgs, "; "))
}

// checkParameter reports conflicts and constraint failures in the filled
// parameter, then required fields the user did not supply. It returns the
// parameter's JSON when it encodes: then every regular field is concrete, so no
// required field can be missing and the walk that looks for them is skipped.
func checkParameter(pv cue.Value, user map[string]any) ([]byte, error) {
	if !pv.Exists() {
		return nil, nil
	}
	if err := pv.Validate(); err != nil {
		return nil, flatten(err)
	}
	if b, err := pv.MarshalJSON(); err == nil {
		return b, nil
	}
	errs := &Error{}
	missing(pv, user, "parameter", errs)
	if len(errs.Errs) > 0 {
		return nil, errs
	}
	return nil, nil
}

// missing walks the parameter schema alongside the user's value and records
// required fields that are absent and have no default.
func missing(schema cue.Value, user any, path string, errs *Error) {
	if len(errs.Errs) >= maxDecodeErrors {
		return
	}
	switch schema.IncompleteKind() {
	case cue.StructKind:
		um, _ := user.(map[string]any)
		it, err := schema.Fields()
		if err != nil {
			return
		}
		for it.Next() {
			name := it.Selector().Unquoted()
			fv := it.Value()
			uv, present := um[name]
			fpath := joinPath(path, name)
			if !present && fv.IncompleteKind() != cue.StructKind && fv.Validate(cue.Concrete(true)) != nil {
				if _, hasDefault := fv.Default(); !hasDefault {
					errs.Errs = appendCapped(errs.Errs, FieldError{Path: fpath, Msg: "required field is missing (expected " + short(fv) + ")"})
					continue
				}
			}
			missing(fv, uv, fpath, errs)
		}
	case cue.ListKind:
		ul, ok := user.([]any)
		if !ok {
			return
		}
		it, err := schema.List()
		if err != nil {
			return
		}
		for i := 0; it.Next() && i < len(ul); i++ {
			missing(it.Value(), ul[i], indexPath(path, i), errs)
		}
	}
}
