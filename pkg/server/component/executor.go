package component

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Executor starts the control-plane components. Each call blocks until ctx is done or the
// component fails, and returns the component's error.
type Executor interface {
	// APIServer runs kube-apiserver with the given flags.
	APIServer(ctx context.Context, args []string) error
	// ControllerManager runs kube-controller-manager with the given flags.
	ControllerManager(ctx context.Context, args []string) error
	// Scheduler runs kube-scheduler with the given flags.
	Scheduler(ctx context.Context, args []string) error
}

// Args renders a flag map as a sorted --key=value list, then appends the user's extra
// "--key=value" (or "key=value") arguments, which override defaults of the same key.
func Args(defaults map[string]string, extra []string) []string {
	merged := make(map[string]string, len(defaults)+len(extra))
	for k, v := range defaults {
		merged[k] = v
	}
	for _, e := range extra {
		k, v, _ := strings.Cut(strings.TrimLeft(e, "-"), "=")
		merged[k] = v
	}
	keys := make([]string, 0, len(merged))
	for k := range merged {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, fmt.Sprintf("--%s=%s", k, merged[k]))
	}
	return out
}
