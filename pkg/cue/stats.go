package cue

import (
	"reflect"
	"sync/atomic"
)

// RenderStats counts the roads Render took for the results it evaluated (not
// those the render cache returned), so tests comparing the shortcuts with
// WithReferenceRendering can tell that the shortcuts really ran.
type RenderStats struct {
	// Split counts renders through a split template (see split).
	Split int64
	// SplitFallbacks counts renders of a split template that fell back to the whole one.
	SplitFallbacks int64
	// Whole counts renders of the whole template, fallbacks included.
	Whole int64
	// StaticPatches counts patches decoded with the source's tags alone (see tagsAreStatic).
	StaticPatches int64
	// WalkedPatches counts patches decoded by reading each field's comments.
	WalkedPatches int64
}

// stats holds an Engine's RenderStats.
type stats struct {
	split, fallbacks, whole, static, walked atomic.Int64
}

// Stats returns how many renders took each road since the Engine was built.
func (e *Engine) Stats() RenderStats {
	s := &e.stats
	return RenderStats{Split: s.split.Load(), SplitFallbacks: s.fallbacks.Load(), Whole: s.whole.Load(), StaticPatches: s.static.Load(), WalkedPatches: s.walked.Load()}
}

// count records one successful render of res: split or whole (fallback when a
// split template was there), its patches static or walked.
func (s *stats) count(split, fallback, static bool, res *Result) {
	switch {
	case split:
		s.split.Add(1)
	case fallback:
		s.fallbacks.Add(1)
		s.whole.Add(1)
	default:
		s.whole.Add(1)
	}
	n := int64(len(res.PatchOutputs))
	if res.Patch != nil {
		n++
	}
	if static {
		s.static.Add(n)
	} else {
		s.walked.Add(n)
	}
}

// hasBytes reports whether v holds a []byte anywhere (CUE bytes once encoded).
func hasBytes(v any) bool {
	switch x := v.(type) {
	case nil, string, bool, int, int64, int32, float64, float32:
		return false
	case []byte:
		return true
	case map[string]any:
		for _, e := range x {
			if hasBytes(e) {
				return true
			}
		}
		return false
	case []any:
		for _, e := range x {
			if hasBytes(e) {
				return true
			}
		}
		return false
	}
	return reflectHasBytes(reflect.ValueOf(v))
}

// reflectHasBytes is hasBytes for other Go types (typed maps, slices, structs).
func reflectHasBytes(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		return !v.IsNil() && reflectHasBytes(v.Elem())
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return true
		}
		for i := 0; i < v.Len(); i++ {
			if reflectHasBytes(v.Index(i)) {
				return true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if reflectHasBytes(it.Value()) {
				return true
			}
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() && reflectHasBytes(v.Field(i)) {
				return true
			}
		}
	}
	return false
}
