package addon

import (
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/strvals"
)

// ParseParameters turns `key=value` arguments into parameters as `vela addon enable` takes
// them, with Helm's --set syntax as KubeVela does (helm.sh/helm/v3/pkg/strvals): dotted keys
// nest ("image.tag=1"), integers and true/false/null are typed, lists are {a,b} and
// list items key[0]=x, everything else is a string. A value that is a JSON array or object
// ([...], {"k":...}) is JSON, as Helm's --set-json takes it.
func ParseParameters(args []string) (map[string]any, error) {
	out := map[string]any{}
	for _, arg := range args {
		key, val, ok := strings.Cut(arg, "=")
		if !ok || key == "" {
			return nil, fmt.Errorf("parameter %q is not key=value (e.g. image.tag=v1, ports={80,443})", arg)
		}
		var err error
		if json := strings.TrimSpace(val); strings.HasPrefix(json, "[") || strings.HasPrefix(json, `{"`) || json == "{}" {
			err = strvals.ParseJSON(arg, out)
		} else {
			err = strvals.ParseInto(arg, out)
		}
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", arg, err)
		}
	}
	return out, nil
}
