package appfile

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"velad.io/velad/pkg/cue"
)

func fixtures(t testing.TB) *Set {
	t.Helper()
	s, err := FromPaths("testdata/definitions")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func parseApp(t testing.TB, y string) *Application {
	t.Helper()
	app, err := ParseApplicationYAML([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return app
}

const appYAML = `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop, namespace: prod, labels: {team: a}}
spec:
  components:
    - name: web
      type: webservice
      properties:
        image: nginx:1.25
        port: 8080
        env: [{name: OLD, value: old}, {name: MODE, value: prod}]
      traits:
        - type: scaler
          properties: {replicas: 3}
        - type: labels
          properties: {tier: frontend}
        - type: env
          properties: {env: {NEW: new, MODE: dev}}
        - type: svc-annotations
          properties: {owner: shop-team}
`

func TestRenderAppfile(t *testing.T) {
	ctx := context.Background()
	ms, err := DryRun(ctx, newEngine(t), fixtures(t), parseApp(t, appYAML), RenderOptions{AppRevision: "shop-v2", AppRevisionNum: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 {
		t.Fatalf("got %d components", len(ms))
	}
	m := ms[0]
	w := m.Workload
	wantLabels := map[string]string{
		"app.oam.dev/name": "shop", "app.oam.dev/namespace": "prod", "app.oam.dev/component": "web",
		"app.oam.dev/appRevision": "shop-v2", "app.oam.dev/resourceType": "WORKLOAD",
		"workload.oam.dev/type": "webservice", "tier": "frontend",
	}
	for k, v := range wantLabels {
		if got := w.GetLabels()[k]; got != v {
			t.Errorf("workload label %s = %q, want %q", k, got, v)
		}
	}
	if w.GetName() != "web" || w.GetKind() != "Deployment" {
		t.Errorf("workload is %s %q", w.GetKind(), w.GetName())
	}
	if r, _, _ := unstructured.NestedInt64(w.Object, "spec", "replicas"); r != 3 {
		t.Errorf("replicas = %d, want 3 (scaler overrides the default)", r)
	}
	containers, _, _ := unstructured.NestedSlice(w.Object, "spec", "template", "spec", "containers")
	if len(containers) != 1 {
		t.Fatalf("containers = %v", containers)
	}
	env := map[string]string{}
	for _, e := range containers[0].(map[string]any)["env"].([]any) {
		em := e.(map[string]any)
		env[em["name"].(string)], _ = em["value"].(string)
	}
	if len(env) != 3 || env["OLD"] != "old" || env["NEW"] != "new" || env["MODE"] != "dev" {
		t.Errorf("env = %v, want OLD=old NEW=new MODE=dev", env)
	}
	if len(m.Traits) != 2 {
		t.Fatalf("trait objects = %d, want service + ingress", len(m.Traits))
	}
	svc, ing := m.Traits[0].Object, m.Traits[1].Object
	if svc.GetLabels()["trait.oam.dev/type"] != AuxiliaryWorkload || svc.GetAnnotations()["owner"] != "shop-team" {
		t.Errorf("service labels %v annotations %v", svc.GetLabels(), svc.GetAnnotations())
	}
	if ing.GetLabels()["trait.oam.dev/type"] != "svc-annotations" || ing.GetLabels()["trait.oam.dev/resource"] != "ingress" ||
		ing.GetName() != "web-svc-annotations-ingress" {
		t.Errorf("ingress %q labels %v", ing.GetName(), ing.GetLabels())
	}
	if m.Context.Revision != "web-v2" || m.Context.AppLabels["team"] != "a" {
		t.Errorf("context = %+v", m.Context)
	}
}

func TestRenderErrors(t *testing.T) {
	cases := []struct{ name, app, want string }{
		{"unknown component type", `
metadata: {name: a}
spec: {components: [{name: x, type: foo}]}`,
			`component "x": ComponentDefinition "foo" not found in namespace vela-system (install it or check the spelling)`},
		{"unknown trait in namespace", `
metadata: {name: a, namespace: dev}
spec: {components: [{name: x, type: webservice, properties: {image: i}, traits: [{type: nope}]}]}`,
			`trait "nope" on component "x": TraitDefinition "nope" not found in namespace vela-system or dev`},
		{"missing parameter", `
metadata: {name: a}
spec: {components: [{name: web, type: webservice}]}`,
			`component "web" (type webservice): parameter.image: required field is missing`},
		{"wrong trait parameter type", `
metadata: {name: a}
spec: {components: [{name: web, type: webservice, properties: {image: i}, traits: [{type: scaler, properties: {replicas: x}}]}]}`,
			`trait "scaler" on component "web": parameter.replicas: conflicting values "x" and int`},
		{"trait does not apply", `
metadata: {name: a}
spec: {components: [{name: web, type: webservice, properties: {image: i}, traits: [{type: cronjob-only}]}]}`,
			`trait "cronjob-only" does not apply to component "web" of type "webservice" (it applies to cronjobs.batch)`},
		{"conflicting traits", `
metadata: {name: a}
spec: {components: [{name: web, type: webservice, properties: {image: i}, traits: [{type: env, properties: {env: {}}}, {type: no-env}]}]}`,
			`trait "env" on component "web" conflicts with trait "no-env"`},
		{"dependsOn unknown", `
metadata: {name: a}
spec: {components: [{name: web, type: webservice, properties: {image: i}, dependsOn: [db]}]}`,
			`component "web" dependsOn "db", which is not a component`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := parseApp(t, "apiVersion: core.oam.dev/v1beta1\nkind: Application\n"+tc.app)
			_, err := DryRun(context.Background(), newEngine(t), fixtures(t), app, RenderOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t)
	af, err := NewParser(fixtures(t)).Parse(ctx, parseApp(t, appYAML))
	if err != nil {
		t.Fatal(err)
	}
	c := af.Components[0]
	live := map[string]any{"spec": map[string]any{"replicas": int64(3)}, "status": map[string]any{"readyReplicas": int64(1)}}
	outs := map[string]any{"service": map[string]any{"spec": map[string]any{"clusterIP": "10.0.0.1"}}}
	st, err := af.Status(ctx, e, c, RenderOptions{}, live, outs)
	if err != nil {
		t.Fatal(err)
	}
	if st.Status.Healthy || st.Message != "Ready:1/3" {
		t.Errorf("status = %+v, want unhealthy Ready:1/3", st.Status)
	}
	live["status"] = map[string]any{"readyReplicas": int64(3)}
	if st, err = af.Status(ctx, e, c, RenderOptions{}, live, outs); err != nil || !st.Healthy() {
		t.Errorf("status = %+v, %v; want healthy", st, err)
	}
	// a live object without status is unhealthy, not an error
	if st, err = af.Status(ctx, e, c, RenderOptions{}, map[string]any{}, nil); err != nil || st.Healthy() {
		t.Errorf("status = %+v, %v; want unhealthy without error", st, err)
	}
}

func TestRenderPolicies(t *testing.T) {
	defs := fixtures(t)
	pol, err := DecodeDefinitions([]byte(`
apiVersion: core.oam.dev/v1beta1
kind: PolicyDefinition
metadata: {name: quota}
spec:
  schematic:
    cue:
      template: |
        parameter: {cpu: string, memory: *"1Gi" | string}
        output: {apiVersion: "v1", kind: "ResourceQuota", metadata: name: context.appName, spec: hard: {"limits.cpu": parameter.cpu, "limits.memory": parameter.memory}}
`))
	if err != nil {
		t.Fatal(err)
	}
	defs.Add(pol...)
	ctx := context.Background()
	app := parseApp(t, `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: shop, namespace: prod}
spec:
  components: [{name: web, type: webservice, properties: {image: nginx}}]
  policies: [{name: q, type: quota, properties: {cpu: "2"}}]
`)
	af, err := NewParser(defs).Parse(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := af.RenderPolicies(ctx, newEngine(t), RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || len(ps[0].Objects) != 1 || ps[0].Parameter["memory"] != "1Gi" {
		t.Fatalf("policies = %+v", ps)
	}
	q := ps[0].Objects[0]
	if q.GetName() != "shop" || q.GetLabels()["app.oam.dev/name"] != "shop" {
		t.Errorf("quota = %v", q.Object)
	}
	app.Spec.Policies[0].Properties = map[string]any{}
	af, _ = NewParser(defs).Parse(ctx, app)
	if _, err := af.RenderPolicies(ctx, newEngine(t), RenderOptions{}); err == nil ||
		!strings.Contains(err.Error(), `policy "q" (type quota): parameter.cpu: required field is missing`) {
		t.Errorf("missing policy parameter: %v", err)
	}
}

func TestContextClusterVersion(t *testing.T) {
	defs := fixtures(t)
	cv, err := DecodeDefinitions([]byte(`
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata: {name: ingress-any}
spec:
  schematic:
    cue:
      template: |
        output: {
        	if context.clusterVersion.minor < 19 {apiVersion: "networking.k8s.io/v1beta1"}
        	if context.clusterVersion.minor >= 19 {apiVersion: "networking.k8s.io/v1"}
        	kind: "Ingress"
        }
`))
	if err != nil {
		t.Fatal(err)
	}
	defs.Add(cv...)
	app := parseApp(t, "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: a}\nspec: {components: [{name: i, type: ingress-any}]}")
	ms, err := DryRun(context.Background(), newEngine(t), defs, app, RenderOptions{})
	if err != nil || ms[0].Workload.GetAPIVersion() != "networking.k8s.io/v1" {
		t.Fatalf("embedded version: %v %v", err, ms)
	}
	ms, err = DryRun(context.Background(), newEngine(t), defs, app, RenderOptions{ClusterVersion: &cue.ClusterVersion{Major: 1, Minor: 18}})
	if err != nil || ms[0].Workload.GetAPIVersion() != "networking.k8s.io/v1beta1" {
		t.Fatalf("old cluster: %v %v", err, ms)
	}
}

func TestTraitFlags(t *testing.T) {
	app := parseApp(t, "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: a}\nspec: {components: [{name: web, type: webservice, properties: {image: i}, traits: [{type: rollout-lite}]}]}")
	ms, err := DryRun(context.Background(), newEngine(t), fixtures(t), app, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := ms[0]
	if m.ManagedByTrait != "rollout-lite" || len(m.Traits) != 1 || m.Traits[0].Stage != "PostDispatch" {
		t.Errorf("manifest = %+v, trait = %+v", m, m.Traits)
	}
	af, _ := NewParser(fixtures(t)).Parse(context.Background(), app)
	d := af.Components[0].Traits[0].Template.Def
	if !d.PodDisruptive || !d.SkipRevisionAffect || !d.ManageWorkload {
		t.Errorf("flags not read: %+v", d)
	}
}
