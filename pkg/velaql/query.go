package velaql

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// DefaultExport is the field a query returns when it names none.
const DefaultExport = "status"

// Query is a parsed VelaQL statement.
type Query struct {
	// View names the view (its ConfigMap in vela-system).
	View string
	// Parameter fills the view's `parameter`.
	Parameter map[string]any
	// Export is the field returned, DefaultExport when the statement names none.
	Export string
}

// viewName matches the view part alone (a ConfigMap name without dots, so `.field` splits).
var viewName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// ParseQuery parses `view{key=value,...}.field` as KubeVela does: values are integers,
// floats, true/false, "quoted" or bare strings; `.field` defaults to DefaultExport.
func ParseQuery(s string) (*Query, error) {
	s = strings.TrimSpace(s)
	view, rest, _ := strings.Cut(s, "{")
	params, export := "", ""
	if strings.Contains(s, "{") {
		end := strings.LastIndex(rest, "}")
		if end < 0 {
			return nil, queryError(s, "the parameter list has no closing }")
		}
		params, export = rest[:end], rest[end+1:]
		if export != "" && !strings.HasPrefix(export, ".") {
			return nil, queryError(s, "only .field may follow the parameter list")
		}
		export = strings.TrimPrefix(export, ".")
	} else {
		view, export, _ = strings.Cut(s, ".")
	}
	if !viewName.MatchString(view) {
		return nil, queryError(s, fmt.Sprintf("%q is not a view name (lowercase letters, digits and '-')", view))
	}
	q := &Query{View: view, Parameter: map[string]any{}, Export: export}
	if q.Export == "" {
		q.Export = DefaultExport
	}
	for _, kv := range strings.Split(params, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, queryError(s, fmt.Sprintf("parameter %q is not key=value", strings.TrimSpace(kv)))
		}
		q.Parameter[k] = ParseValue(strings.TrimSpace(v))
	}
	return q, nil
}

// ParseValue types one parameter value: an integer, a float, true/false, a "quoted" string
// (unquoted), or else the string itself.
func ParseValue(v string) any {
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		return i
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return f
	}
	if v == "true" || v == "false" {
		return v == "true"
	}
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		return v[1 : len(v)-1]
	}
	return v
}

func queryError(s, why string) error {
	return fmt.Errorf("query %q: %s (want view{key=value,...}.field, e.g. helm-release{name=web,namespace=default}.status)", s, why)
}
