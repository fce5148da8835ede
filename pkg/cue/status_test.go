package cue

import (
	"context"
	"strings"
	"testing"
)

func TestEvalStatus(t *testing.T) {
	e := newEngine(t)
	st := StatusTemplates{
		// conditions over context that are undecided until live objects are filled in
		HealthPolicy: `isHealth: *true | bool
if context.outputs.service != _|_ if context.outputs.service.spec.type == "LoadBalancer" {
	isHealth: context.outputs.service.status != _|_
}`,
		CustomStatus: `message: "type: \(context.outputs.service.spec.type), want \(parameter.want)"`,
		Details:      `ip: context.outputs.service.spec.clusterIP`,
	}
	svc := func(typ string, withStatus bool) map[string]any {
		s := map[string]any{"spec": map[string]any{"type": typ, "clusterIP": "10.0.0.9"}}
		if withStatus {
			s["status"] = map[string]any{}
		}
		return map[string]any{"service": s}
	}
	cases := []struct {
		name    string
		outputs map[string]any
		healthy bool
		msg     string
	}{
		{"no live object", nil, true, ""},
		{"load balancer pending", svc("LoadBalancer", false), false, "type: LoadBalancer, want 1"},
		{"load balancer ready", svc("LoadBalancer", true), true, "type: LoadBalancer, want 1"},
		{"cluster ip", svc("ClusterIP", false), true, "type: ClusterIP, want 1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.EvalStatus(context.Background(), st, map[string]any{"want": 1}, &Context{Outputs: tc.outputs})
			if err != nil {
				t.Fatal(err)
			}
			if got.Healthy != tc.healthy || got.Message != tc.msg {
				t.Errorf("got %+v, want healthy=%v message=%q", got, tc.healthy, tc.msg)
			}
			if tc.outputs != nil && got.Details["ip"] != "10.0.0.9" {
				t.Errorf("details = %v", got.Details)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	e := newEngine(t)
	ctx := context.Background()
	for src, want := range map[string]string{
		"x: foo.bar":                          `reference "foo" not found`,
		"x: 1 & 2":                            "conflicting values",
		"x: {":                                "parsing template",
		`import "vela/nope"` + "\nx: nope.#A": "nope",
		"output: {kind: context.name}":        "",
		"isHealth: context.output.status.readyReplicas > 0": "",
	} {
		err := e.Validate(ctx, src)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: unexpected error %v", src, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: error %v, want it to contain %q", src, err, want)
		}
	}
}
