package controller

import (
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
)

// pathSeg is one step of a field path: a map key, or a list index.
type pathSeg struct {
	key   string
	index int // -1 for a key
}

// parsePath splits a KubeVela field path such as
// `spec.template.spec.containers[0].resources` into its steps.
func parsePath(p string) []pathSeg {
	var out []pathSeg
	for _, part := range strings.Split(strings.TrimPrefix(p, "."), ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key != "" {
			out = append(out, pathSeg{key: key, index: -1})
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			n, err := strconv.Atoi(idx)
			if !ok || err != nil {
				return append(out, pathSeg{key: "[" + rest, index: -1}) // not an index: a literal key
			}
			out = append(out, pathSeg{index: n})
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return out
}

// getPath returns the value at path in obj.
func getPath(obj any, path []pathSeg) (any, bool) {
	cur := obj
	for _, s := range path {
		switch v := cur.(type) {
		case map[string]any:
			if s.index >= 0 {
				return nil, false
			}
			x, ok := v[s.key]
			if !ok {
				return nil, false
			}
			cur = x
		case []any:
			if s.index < 0 || s.index >= len(v) {
				return nil, false
			}
			cur = v[s.index]
		default:
			return nil, false
		}
	}
	return cur, true
}

// setPath sets (or, when found is false, removes) the value at path in obj;
// missing maps on the way are created, missing list items are not.
func setPath(obj map[string]any, path []pathSeg, val any, found bool) {
	if len(path) == 0 {
		return
	}
	var cur any = obj
	for i, s := range path {
		last := i == len(path)-1
		switch v := cur.(type) {
		case map[string]any:
			if s.index >= 0 {
				return
			}
			if last {
				if found {
					v[s.key] = runtime.DeepCopyJSONValue(val)
				} else {
					delete(v, s.key)
				}
				return
			}
			next, ok := v[s.key]
			if !ok {
				if !found {
					return
				}
				next = map[string]any{}
				if path[i+1].index >= 0 {
					return
				}
				v[s.key] = next
			}
			cur = next
		case []any:
			if s.index < 0 || s.index >= len(v) {
				return
			}
			if last {
				if found {
					v[s.index] = runtime.DeepCopyJSONValue(val)
				}
				return
			}
			cur = v[s.index]
		default:
			return
		}
	}
}
