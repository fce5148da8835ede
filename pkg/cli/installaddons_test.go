package cli

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/addon"
	"velad.io/velad/pkg/apis/core/v1beta1"
)

func TestPlanInstallAddons(t *testing.T) {
	reqs, err := planInstallAddons([]string{"helm", "velad-hello"}, []string{"velad-hello.replicas=2", "velad-hello.message=hi there"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(addonNames(reqs), ","); got != "helm,velad-hello" {
		t.Fatalf("addons = %s", got)
	}
	if len(reqs[0].params) != 0 || !reflect.DeepEqual(reqs[1].params, map[string]any{"replicas": int64(2), "message": "hi there"}) {
		t.Fatalf("parameters = %v %v", reqs[0].params, reqs[1].params)
	}
	for _, c := range []struct {
		addons, sets []string
		want         string
	}{
		{[]string{"no-such-addon"}, nil, "--addons no-such-addon"},
		{[]string{"helm"}, []string{"velad-hello.replicas=2"}, "for an addon named in --addons (helm)"},
		{[]string{"velad-hello"}, []string{"replicas=2"}, "want <addon>.<key>=<value>"},
		{[]string{"velad-hello"}, []string{"velad-hello.=2"}, "--set for addon velad-hello"},
	} {
		if _, err := planInstallAddons(c.addons, c.sets); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("planInstallAddons(%v, %v) = %v, want an error containing %q", c.addons, c.sets, err, c.want)
		}
	}
}

// The addons of velad install, against a cluster without a controller (so without waiting).
func TestIntegrationInstallAddons(t *testing.T) {
	c := appClient(t)
	ctx := context.Background()
	createNamespace(t, c, "vela-system")
	reqs, err := planInstallAddons([]string{"helm", "rollout"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := enableInstallAddons(ctx, &out, appEnv.Config, reqs, addon.EnableOptions{NoWait: true}); err != nil {
		t.Fatal(err)
	}
	contains(t, out.String(), "Addon helm enabled", "Addon rollout enabled")
	if err := c.Get(ctx, client.ObjectKey{Namespace: "vela-system", Name: "helm"}, &v1beta1.ComponentDefinition{}); err != nil {
		t.Errorf("helm component: %v", err)
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: "vela-system", Name: "canary"}, &v1beta1.TraitDefinition{}); err != nil {
		t.Errorf("canary trait: %v", err)
	}
}
