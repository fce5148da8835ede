package appfile

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"velad.io/velad/pkg/cue"
	"velad.io/velad/pkg/cue/provider/op"
)

// splitCases are applications over the built-ins that split their parameter
// schema off (webservice and its traits), good inputs and bad.
var splitCases = map[string]string{
	"minimal": `{type: webservice, properties: {image: nginx}}`,
	"bench":   `{type: webservice, properties: {image: "nginx:1", port: 8080, env: [{name: A, value: a}]}, traits: [{type: scaler, properties: {replicas: 2}}, {type: labels, properties: {tier: t}}, {type: env, properties: {env: {B: b}}}]}`,
	"full": `{type: webservice, properties: {
		image: "nginx:1.20", imagePullPolicy: IfNotPresent, imagePullSecrets: [reg],
		labels: {a: b}, annotations: {c: d}, addRevisionLabel: true, exposeType: NodePort,
		cmd: [nginx], args: ["-g", "daemon off;"], cpu: "0.5", memory: 256Mi, limit: {cpu: "1"},
		env: [{name: A, value: a}, {name: S, valueFrom: {secretKeyRef: {name: s, key: k}}}],
		ports: [{port: 80, expose: true, nodePort: 30080}, {port: 53, protocol: UDP, name: dns}, {port: 9090, containerPort: 9091, expose: true}],
		volumeMounts: {
			pvc: [{name: data, mountPath: /data, claimName: pvc1}],
			configMap: [{name: cfg, mountPath: /etc/cfg, cmName: cm, items: [{key: a, path: a}]}],
			secret: [{name: sec, mountPath: /etc/sec, secretName: s, defaultMode: 256}],
			emptyDir: [{name: tmp, mountPath: /tmp, medium: Memory}, {name: tmp, mountPath: /tmp2}],
			hostPath: [{name: host, mountPath: /host, path: /var/log}]},
		volumes: [{name: old, mountPath: /old, type: configMap, cmName: cm2}, {name: e, mountPath: /e}],
		livenessProbe: {httpGet: {path: /healthz, port: 80}, initialDelaySeconds: 5},
		readinessProbe: {exec: {command: [cat, /ready]}},
		hostAliases: [{ip: 10.0.0.1, hostnames: [a.local]}]}}`,
	// container-ports overrides the protocol the webservice schema defaulted.
	"trait overrides a default":  `{type: webservice, properties: {image: nginx, ports: [{port: 80}]}, traits: [{type: container-ports, properties: {ports: [{containerPort: 80, protocol: UDP}]}}]}`,
	"env on named containers":    `{type: webservice, properties: {image: nginx}, traits: [{type: env, properties: {containers: [{containerName: c, env: {X: x}, unset: [A]}]}}]}`,
	"labels set to null":         `{type: webservice, properties: {image: nginx, labels: {a: b}}, traits: [{type: labels, properties: {a: null}}]}`,
	"missing image":              `{type: webservice, properties: {port: 80}}`,
	"wrong type":                 `{type: webservice, properties: {image: nginx, port: "80"}}`,
	"bad enum":                   `{type: webservice, properties: {image: nginx, ports: [{port: 80, protocol: HTTP}]}}`,
	"unknown field":              `{type: webservice, properties: {image: nginx, livenessProbe: {bogus: 1}}}`,
	"env on a missing container": `{type: webservice, properties: {image: nginx}, traits: [{type: env, properties: {containerName: nope, env: {X: x}}}]}`,
	"null parameter":             `{type: webservice, properties: {image: nginx, cpu: null}}`,
}

// TestSplitRenderIsWholeRender renders the cases above, every conformance
// application and the benchmark's with the split templates (the default) and
// with whole templates: objects, parameters and errors must be identical.
func TestSplitRenderIsWholeRender(t *testing.T) {
	// render cache off: each render evaluates, and Stats counts it
	split, err := cue.New(cue.WithProviders(op.All()...), cue.WithRenderCache(0))
	if err != nil {
		t.Fatal(err)
	}
	whole, err := cue.New(cue.WithProviders(op.All()...), cue.WithReferenceRendering(), cue.WithRenderCache(0))
	if err != nil {
		t.Fatal(err)
	}
	builtin, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for name, comp := range splitCases {
		t.Run(name, func(t *testing.T) {
			flat := strings.Join(strings.Fields(comp), " ")
			app := parseApp(t, "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: a, namespace: default}\nspec: {components: [{name: c, "+flat[1:]+"]}\n")
			before := split.Stats()
			sameRender(t, split, whole, builtin, app)
			// a good input renders split, no fallback to the whole template
			if got := statsDelta(split.Stats(), before); !strings.HasPrefix(renderDump(whole, builtin, app), "error:") && (got.Split == 0 || got.SplitFallbacks != 0) {
				t.Errorf("split engine took %+v, want split renders and no fallback", got)
			}
		})
	}
	t.Run("bench", func(t *testing.T) {
		before, wholeBefore := split.Stats(), whole.Stats()
		sameRender(t, split, whole, builtin, benchApp(t))
		// Two renders of 5 components: webservice and env split (their schemas
		// use definitions), scaler and labels whole; the 15 trait patches static.
		// A shortcut that silently stops applying fails here.
		want := cue.RenderStats{Split: 2 * 10, Whole: 2 * 10, StaticPatches: 2 * 15}
		if got := statsDelta(split.Stats(), before); got != want {
			t.Errorf("split engine took %+v, want %+v", got, want)
		}
		want = cue.RenderStats{Whole: 20, WalkedPatches: 15}
		if got := statsDelta(whole.Stats(), wholeBefore); got != want {
			t.Errorf("reference engine took %+v, want %+v", got, want)
		}
	})
	forEachConformanceApp(t, conformanceRoot(t), func(name string, app *Application, defs *Set) {
		t.Run(name, func(t *testing.T) { sameRender(t, split, whole, Chain{defs, builtin}, app) })
	})
}

// sameRender renders app on both engines, twice on the split one (the second
// time from its compiled cache), and compares.
func sameRender(t *testing.T, split, whole *cue.Engine, defs Loader, app *Application) {
	t.Helper()
	want := renderDump(whole, defs, app)
	for i := 0; i < 2; i++ {
		if got := renderDump(split, defs, app); got != want {
			t.Fatalf("split render differs from whole render:\n got: %s\nwant: %s", got, want)
		}
	}
}

// renderDump is the rendered manifests (objects, soft defaults applied) as
// JSON, or the error.
func renderDump(e *cue.Engine, defs Loader, app *Application) string {
	ms, err := DryRun(context.Background(), e, defs, app, RenderOptions{})
	if err != nil {
		return "error: " + err.Error()
	}
	var out []any
	for _, m := range ms {
		var objs []any
		for _, o := range m.Objects() {
			objs = append(objs, o.Object)
		}
		out = append(out, map[string]any{"name": m.Name, "objects": objs})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Sprint("marshal: ", err)
	}
	return string(b)
}

// statsDelta is b's counts less a's.
func statsDelta(b, a cue.RenderStats) cue.RenderStats {
	return cue.RenderStats{
		Split:          b.Split - a.Split,
		SplitFallbacks: b.SplitFallbacks - a.SplitFallbacks,
		Whole:          b.Whole - a.Whole,
		StaticPatches:  b.StaticPatches - a.StaticPatches,
		WalkedPatches:  b.WalkedPatches - a.WalkedPatches,
	}
}
