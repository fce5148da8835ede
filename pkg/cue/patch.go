package cue

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"unicode/utf8"

	jsonpatch "github.com/evanphx/json-patch/v5"
	k8sjson "k8s.io/apimachinery/pkg/util/json"
)

// Patch strategies a `// +patchStrategy=` comment may name.
const (
	StrategyRetainKeys     = "retainKeys"
	StrategyReplace        = "replace"
	StrategyJSONMergePatch = "jsonMergePatch"
	StrategyJSONPatch      = "jsonPatch"
)

// ApplyPatch applies a rendered trait patch to base (a workload or auxiliary
// object) with KubeVela's semantics and returns the patched copy; base is not
// modified. Without annotations values unify like CUE: structs merge, equal
// scalars agree, different scalars conflict and lists merge item by item.
// `+patchKey=k1,k2` merges a list of objects by those keys (inherited by lists
// nested inside it), `+patchStrategy=retainKeys` lets the patch replace what
// it matches, `replace` swaps the whole field, and on the patch itself
// `jsonMergePatch` (RFC 7386) or `jsonPatch` (RFC 6902, `operations: [...]`)
// applies the document as such.
func ApplyPatch(base map[string]any, p *Patch) (map[string]any, error) {
	return MergePatch(base, nil, p)
}

// MergePatch is ApplyPatch where soft lists the paths of base ("spec.replicas",
// "spec.ports[0].protocol") whose value only came from a CUE default
// (`*1 | int`): as in CUE, a patch may override those without a strategy.
// Paths the patch sets are removed from soft.
func MergePatch(base map[string]any, soft map[string]bool, p *Patch) (map[string]any, error) {
	return mergePatch(base, soft, p, false)
}

// MergePatchOwned is MergePatch for a base the caller owns, holds no other
// reference into, and gives up: a strategic merge (no whole-document
// strategy) then patches base itself instead of a deep copy of it, so the
// parts the patch does not touch are not copied. base must not be used
// afterwards, also after an error.
func MergePatchOwned(base map[string]any, soft map[string]bool, p *Patch) (map[string]any, error) {
	return mergePatch(base, soft, p, true)
}

func mergePatch(base map[string]any, soft map[string]bool, p *Patch, owned bool) (map[string]any, error) {
	private := func() any {
		if owned {
			return base
		}
		return deepCopy(base)
	}
	if p == nil || p.Value == nil {
		return private().(map[string]any), nil
	}
	switch p.Strategy {
	case StrategyJSONMergePatch:
		return jsonMerge(base, p.Value)
	case StrategyJSONPatch:
		return jsonPatchOps(base, p.Value)
	case StrategyReplace:
		if m, ok := deepCopy(p.Value).(map[string]any); ok {
			return m, nil
		}
		return nil, fieldErr("patch", "replace strategy needs a struct, got %T", p.Value)
	}
	m := &merger{tags: p.Tags, soft: soft}
	out, err := m.merge(private(), p.Value, "", "", Tags{PatchStrategy: p.Strategy})
	if err != nil {
		return nil, err
	}
	res, ok := out.(map[string]any)
	if !ok {
		return nil, fieldErr("patch", "patch turned the object into %T", out)
	}
	return res, nil
}

type merger struct {
	tags map[string]Tags
	soft map[string]bool
}

// merge merges patch into base (already a private copy) at path.
func (m *merger) merge(base, patch any, path, shape string, inherited Tags) (any, error) {
	t := m.tags[shape]
	if t.PatchKey == "" {
		t.PatchKey = inherited.PatchKey
	}
	if shape == "" && t.PatchStrategy == "" {
		t.PatchStrategy = inherited.PatchStrategy
	}
	if base == nil {
		return deepCopy(patch), nil
	}
	if t.PatchStrategy == StrategyReplace {
		return deepCopy(patch), nil
	}
	switch pv := patch.(type) {
	case map[string]any:
		bm, ok := base.(map[string]any)
		if !ok {
			return nil, conflict(path, base, patch)
		}
		if t.PatchStrategy == StrategyRetainKeys {
			return deepCopy(pv), nil // the patch's keys and values, nothing else
		}
		for k, v := range pv {
			merged, err := m.merge(bm[k], v, joinPath(path, k), joinPath(shape, k), Tags{PatchKey: t.PatchKey})
			if err != nil {
				return nil, err
			}
			bm[k] = merged
		}
		return bm, nil
	case []any:
		bl, ok := base.([]any)
		if !ok {
			return nil, conflict(path, base, patch)
		}
		return m.mergeList(bl, pv, path, shape, t)
	default:
		if SameScalar(base, patch) || t.PatchStrategy == StrategyRetainKeys || m.soft[path] {
			delete(m.soft, path)
			return deepCopy(patch), nil
		}
		return nil, conflict(path, base, patch)
	}
}

func (m *merger) mergeList(base, patch []any, path, shape string, t Tags) (any, error) {
	item := shape + "[]"
	if t.PatchKey == "" {
		if len(base) != len(patch) {
			return nil, fieldErr(path, "cannot merge a list of %d items into a list of %d items "+
				"(add `// +patchKey=<field>` to merge by key or `// +patchStrategy=replace` to replace it)", len(patch), len(base))
		}
		for i := range patch {
			merged, err := m.merge(base[i], patch[i], indexPath(path, i), item, Tags{})
			if err != nil {
				return nil, err
			}
			base[i] = merged
		}
		return base, nil
	}
	keys := strings.Split(t.PatchKey, ",")
	for _, pe := range patch {
		idx := findByKeys(base, pe, keys)
		if idx < 0 {
			base = append(base, deepCopy(pe))
			continue
		}
		if t.PatchStrategy == StrategyRetainKeys {
			base[idx] = deepCopy(pe)
			continue
		}
		merged, err := m.merge(base[idx], pe, indexPath(path, idx), item, Tags{PatchKey: t.PatchKey})
		if err != nil {
			return nil, err
		}
		base[idx] = merged
	}
	return base, nil
}

// findByKeys returns the index of the item in list whose key fields all equal pe's.
func findByKeys(list []any, pe any, keys []string) int {
	pm, ok := pe.(map[string]any)
	if !ok {
		return -1
	}
	for i, be := range list {
		bm, ok := be.(map[string]any)
		if !ok {
			continue
		}
		match := true
		for _, k := range keys {
			k = strings.TrimSpace(k)
			pv, pok := pm[k]
			bv, bok := bm[k]
			if !pok || !bok || !SameScalar(pv, bv) {
				match = false
				break
			}
		}
		if match {
			return i
		}
	}
	return -1
}

func conflict(path string, base, patch any) error {
	if path == "" {
		path = "patch"
	}
	return fieldErr(path, "conflicting values %s (from the patch) and %s (already set); "+
		"use `// +patchStrategy=retainKeys` on the field to override", show(patch), show(base))
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	s := string(b)
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// SameScalar compares two decoded JSON values, treating Go's numeric types
// alike (two int64 exactly).
func SameScalar(a, b any) bool {
	if ia, ok := a.(int64); ok {
		if ib, ok := b.(int64); ok {
			return ia == ib
		}
	}
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	return reflect.DeepEqual(a, b)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// jsonMerge applies an RFC 7386 merge patch. An object patch on an object is
// merged on JSON-normalised copies of the Go values (see jsonCopy), exactly as
// jsonpatch.MergePatch does on their encodings, without the encode, parse and
// decode round trips; anything else goes through the library.
func jsonMerge(base map[string]any, patch any) (map[string]any, error) {
	if pm, ok := patch.(map[string]any); ok && base != nil {
		doc, okb := jsonCopy(base)
		p, okp := jsonCopy(pm)
		if okb && okp {
			mergeDocs(doc.(map[string]any), p.(map[string]any))
			return doc.(map[string]any), nil
		}
	}
	return jsonMergeEncoded(base, patch)
}

// mergeDocs, mergeValue and pruneNulls follow jsonpatch (v5) mergeDocs, merge and
// pruneNulls: a null removes a key; a value for a missing or null key, or one
// replacing a non-object, loses its nested null keys (list items stay).
func mergeDocs(doc, patch map[string]any) {
	for k, v := range patch {
		if v == nil {
			delete(doc, k)
			continue
		}
		if cur, ok := doc[k]; !ok || cur == nil {
			doc[k] = pruneNulls(v)
		} else {
			doc[k] = mergeValue(cur, v)
		}
	}
}

func mergeValue(cur, patch any) any {
	cd, ok := cur.(map[string]any)
	if !ok {
		return pruneNulls(patch)
	}
	pd, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	mergeDocs(cd, pd)
	return cd
}

func pruneNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
			} else {
				pruneNulls(e)
			}
		}
	case []any:
		for _, e := range x {
			if e != nil {
				pruneNulls(e)
			}
		}
	}
	return v
}

// jsonCopy deep-copies v as a JSON encode and k8s decode would return it:
// objects, lists, strings, bools, nil, int64 for numbers JSON writes without
// a fraction or exponent, float64 otherwise. ok is false for any other type.
func jsonCopy(v any) (any, bool) {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			c, ok := jsonCopy(e)
			if !ok {
				return nil, false
			}
			out[k] = c
		}
		return out, true
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, ok := jsonCopy(e)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	case string:
		return v, utf8.ValidString(x) // encoding/json would replace invalid bytes
	case nil, bool, int64:
		return v, true
	case int:
		return int64(x), true
	case float64:
		// encoding/json writes integral values below 1e21 without a fraction or
		// exponent, which k8s decodes as int64 when they fit.
		if x == math.Trunc(x) && math.Abs(x) < 1e21 && x >= math.MinInt64 && x < math.MaxInt64 {
			return int64(x), true
		}
		return v, !math.IsInf(x, 0) && !math.IsNaN(x)
	}
	return nil, false
}

func jsonMergeEncoded(base map[string]any, patch any) (map[string]any, error) {
	doc, pb, err := marshalBoth(base, patch)
	if err != nil {
		return nil, err
	}
	out, err := jsonpatch.MergePatch(doc, pb)
	if err != nil {
		return nil, fieldErr("patch", "applying JSON merge patch: %v", err)
	}
	return unmarshalObject(out)
}

func jsonPatchOps(base map[string]any, patch any) (map[string]any, error) {
	ops := patch
	if m, ok := patch.(map[string]any); ok {
		ops = m["operations"]
	}
	doc, pb, err := marshalBoth(base, ops)
	if err != nil {
		return nil, err
	}
	jp, err := jsonpatch.DecodePatch(pb)
	if err != nil {
		return nil, fieldErr("patch.operations", "invalid JSON patch: %v", err)
	}
	out, err := jp.Apply(doc)
	if err != nil {
		return nil, fieldErr("patch.operations", "applying JSON patch: %v", err)
	}
	return unmarshalObject(out)
}

func marshalBoth(a, b any) ([]byte, []byte, error) {
	ab, err := json.Marshal(a)
	if err != nil {
		return nil, nil, err
	}
	bb, err := json.Marshal(b)
	return ab, bb, err
}

func unmarshalObject(b []byte) (map[string]any, error) {
	var out map[string]any
	if err := k8sjson.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// deepCopy copies decoded JSON-like values.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}
