package embedded

import (
	"testing"

	"cuelang.org/go/cue"
)

// policySamples are parameters each built-in policy must accept (from KubeVela's
// documented examples and the conformance Applications), with the defaults expected.
var policySamples = map[string]struct {
	params string
	want   map[string]any // paths into the evaluated parameter
}{
	"topology":        {`{clusters: ["local"], namespace: "examples-alternative"}`, map[string]any{"clusters.0": "local"}},
	"override":        {`{selector: ["hello-rep"]}`, map[string]any{"selector.0": "hello-rep"}},
	"garbage-collect": {`{keepLegacyResource: true, rules: [{selector: traitTypes: ["expose"], strategy: "onAppDelete"}]}`, map[string]any{"continueOnFailure": false, "rules.0.strategy": "onAppDelete"}},
	"apply-once":      {`{enable: true, rules: [{strategy: path: ["spec.replicas"], selector: resourceTypes: ["Deployment", "StatefulSet"]}]}`, map[string]any{"enable": true}},
	"shared-resource": {`{rules: [{selector: resourceTypes: ["Namespace"]}]}`, map[string]any{"rules.0.selector.resourceTypes.0": "Namespace"}},
	"read-only":       {`{rules: [{selector: resourceTypes: ["Deployment"]}]}`, nil},
	"take-over":       {`{rules: [{selector: resourceTypes: ["Deployment"]}]}`, nil},
	"resource-update": {`{rules: [{selector: resourceTypes: ["Secret"], strategy: recreateFields: ["data.key"]}]}`, map[string]any{"rules.0.strategy.op": "patch"}},
	"replication":     {`{keys: ["beijing", "hangzhou"], selector: ["hello-rep"]}`, map[string]any{"keys.1": "hangzhou"}},
}

func TestPoliciesAcceptExamples(t *testing.T) {
	for _, d := range loadDefinitions(t) {
		if d.dir != "policies" {
			continue
		}
		s, ok := policySamples[d.name]
		if !ok {
			t.Errorf("%s: no sample in policySamples", d.name)
			continue
		}
		v := render(t, d, s.params, "")
		p := concrete(t, v, "parameter")
		for path, want := range s.want {
			if got := get(p, path); got != want {
				t.Errorf("%s: parameter.%s = %v, want %v", d.name, path, got, want)
			}
		}
	}
}

func TestPoliciesRejectTypos(t *testing.T) {
	defs := loadDefinitions(t)
	bad := map[string]string{
		"garbage-collect": `{rules: [{selector: traitTypes: ["expose"], strategy: "sometimes"}]}`,
		"apply-once":      `{enable: "yes"}`,
		"replication":     `{keys: "beijing"}`,
	}
	for name, params := range bad {
		d := byName(t, defs, "policies", name)
		v := render(t, d, "_", "") // compile only; the bad parameter is unified below
		p := v.LookupPath(cue.ParsePath("parameter"))
		bv := v.Context().CompileString(params)
		if err := p.Unify(bv).Validate(cue.Concrete(true)); err == nil {
			t.Errorf("%s accepted %s", name, params)
		}
	}
}
