package addon

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ParseParameters turns `key=value` arguments into parameters, as `vela addon enable`
// takes them: dotted keys nest ("image.tag=1"), integers, floats and true/false keep
// their type, values starting with [ or { are JSON, and anything else is a string.
func ParseParameters(args []string) (map[string]any, error) {
	out := map[string]any{}
	for _, arg := range args {
		key, raw, ok := strings.Cut(arg, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("parameter %q is not key=value", arg)
		}
		val, err := parseValue(raw)
		if err != nil {
			return nil, fmt.Errorf("parameter %s: %w", key, err)
		}
		if err := setPath(out, strings.Split(key, "."), val); err != nil {
			return nil, fmt.Errorf("parameter %s: %w", key, err)
		}
	}
	return out, nil
}

func parseValue(raw string) (any, error) {
	if strings.HasPrefix(raw, "[") || strings.HasPrefix(raw, "{") {
		var v any
		if err := json.Unmarshal([]byte(raw), &v); err != nil {
			return nil, fmt.Errorf("value %q is not JSON: %w", raw, err)
		}
		return v, nil
	}
	if i, err := strconv.ParseInt(raw, 10, 64); err == nil {
		return i, nil
	}
	if f, err := strconv.ParseFloat(raw, 64); err == nil {
		return f, nil
	}
	if b, err := strconv.ParseBool(raw); err == nil && (raw == "true" || raw == "false") {
		return b, nil
	}
	return raw, nil
}

func setPath(m map[string]any, keys []string, val any) error {
	for i, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			if _, taken := m[k]; taken {
				return fmt.Errorf("%s is already set to a value, not an object", strings.Join(keys[:i+1], "."))
			}
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[keys[len(keys)-1]] = val
	return nil
}
