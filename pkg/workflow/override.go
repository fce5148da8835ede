package workflow

import (
	"fmt"
	"regexp"
	"strings"
)

// validComponentName is what an override entry needs to add a new component.
var validComponentName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// override applies an override policy with KubeVela's semantics. Each entry of
// `components` patches the components it matches:
//   - no name: every component, or those of the entry's type;
//   - a name (`*` is a wildcard): the components so named; one whose type
//     differs from the entry's is replaced by the entry, others are merged;
//   - a name matching nothing adds the entry as a new component.
//
// Merging JSON-merge-patches the properties and merges traits by type
// (`disable: true` removes one). `selector` then keeps only the named components.
func override(comps []map[string]any, props map[string]any) ([]map[string]any, error) {
	out := make([]map[string]any, 0, len(comps))
	for _, c := range comps {
		n, _ := normalize(c)
		out = append(out, n)
	}
	entries, _ := props["components"].([]any)
	for i, e := range entries {
		entry, ok := e.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("override: components[%d] must be an object", i)
		}
		name, _ := entry["name"].(string)
		typ, _ := entry["type"].(string)
		if name == "" {
			for _, c := range out {
				if typ == "" || typ == c["type"] {
					patchComponent(c, entry)
				}
			}
			continue
		}
		re, err := regexp.Compile("^" + strings.ReplaceAll(regexp.QuoteMeta(name), `\*`, ".*") + "$")
		if err != nil {
			return nil, fmt.Errorf("override: components[%d]: name %q: %w", i, name, err)
		}
		matched := false
		for j, c := range out {
			if !re.MatchString(fmt.Sprint(c["name"])) {
				continue
			}
			matched = true
			if typ != "" && typ != c["type"] {
				out[j] = fromEntry(fmt.Sprint(c["name"]), entry)
				continue
			}
			patchComponent(c, entry)
		}
		if !matched && validComponentName.MatchString(name) {
			if typ == "" {
				return nil, fmt.Errorf("override: components[%d]: %q matches no component; to add it, give its type", i, name)
			}
			out = append(out, fromEntry(name, entry))
		}
	}
	if sel, ok := props["selector"].([]any); ok {
		keep := map[string]bool{}
		for _, s := range sel {
			keep[fmt.Sprint(s)] = true
		}
		var kept []map[string]any
		for _, c := range out {
			if keep[fmt.Sprint(c["name"])] {
				kept = append(kept, c)
			}
		}
		out = kept
	}
	return out, nil
}

// fromEntry is the component an override entry describes, named name.
func fromEntry(name string, entry map[string]any) map[string]any {
	c := map[string]any{"name": name, "type": entry["type"], "properties": map[string]any{}, "traits": []any{}, "dependsOn": []any{}}
	if p, ok := entry["properties"].(map[string]any); ok {
		c["properties"] = p
	}
	traits, _ := entry["traits"].([]any)
	var kept []any
	for _, t := range traits {
		if tm, ok := t.(map[string]any); ok {
			if disable, _ := tm["disable"].(bool); !disable {
				kept = append(kept, map[string]any{"type": tm["type"], "properties": orEmptyMap(tm["properties"])})
			}
		}
	}
	if kept != nil {
		c["traits"] = kept
	}
	return c
}

func orEmptyMap(x any) map[string]any {
	if m, ok := x.(map[string]any); ok {
		return m
	}
	return map[string]any{}
}

func patchComponent(c, entry map[string]any) {
	if p, ok := entry["properties"].(map[string]any); ok {
		base, _ := c["properties"].(map[string]any)
		c["properties"] = mergePatch(base, p)
	}
	ots, _ := entry["traits"].([]any)
	traits, _ := c["traits"].([]any)
	for _, x := range ots {
		ot, _ := x.(map[string]any)
		disable, _ := ot["disable"].(bool)
		idx := -1
		for i, t := range traits {
			if tm, _ := t.(map[string]any); tm["type"] == ot["type"] {
				idx = i
			}
		}
		switch {
		case idx >= 0 && disable:
			traits = append(traits[:idx], traits[idx+1:]...)
		case idx >= 0:
			tm := traits[idx].(map[string]any)
			base, _ := tm["properties"].(map[string]any)
			patch, _ := ot["properties"].(map[string]any)
			tm["properties"] = mergePatch(base, patch)
		case !disable:
			traits = append(traits, map[string]any{"type": ot["type"], "properties": orEmptyMap(ot["properties"])})
		}
	}
	c["traits"] = traits
}

// mergePatch is RFC 7386 JSON merge patch on decoded objects.
func mergePatch(base, patch map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range patch {
		switch pv := v.(type) {
		case nil:
			delete(out, k)
		case map[string]any:
			bv, _ := out[k].(map[string]any)
			out[k] = mergePatch(bv, pv)
		default:
			out[k] = v
		}
	}
	return out
}
