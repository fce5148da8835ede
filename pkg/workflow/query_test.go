package workflow

import "testing"

// Every read-only action a VelaQL view may run is one of NewHandlers (a misspelt name would
// be a nil handler, found only when a view calls it).
func TestQueryHandlersAreNewHandlers(t *testing.T) {
	h := QueryHandlers(&Env{})
	for p, actions := range queryActions {
		for _, a := range actions {
			if h[p][a] == nil {
				t.Errorf("%s.%s: no handler", p, a)
			}
		}
	}
	if _, ok := h["kube"]["apply"]; ok {
		t.Error("kube.apply is not read-only, yet a view may run it")
	}
}
