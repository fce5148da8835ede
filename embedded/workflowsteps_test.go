package embedded

import (
	"regexp"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

// Workflow step templates import "vela/op", which only velad's CUE engine provides
// (engine_test.go compiles them against it). Here the import is replaced by a stub
// where every action is an open struct, so the templates' own logic (parameters,
// defaults, conditions on action results) is checked with plain CUE; the results an
// action would return are filled in by the test.

var opImport = regexp.MustCompile(`(?m)^import "vela/op"\n|^\s*"vela/op"\n`)

// opActions are the vela/op actions the built-in steps use; velad's engine must provide them.
var opActions = []string{
	"#Apply", "#ApplyApplication", "#ApplyComponent", "#ApplyRemaining", "#CollectServiceEndpoints", "#ConditionalWait", "#Deploy",
	"#Fail", "#HTTPDo", "#HTTPPost", "#Load", "#Message", "#Read", "#SendEmail", "#Steps", "#Suspend",
}

func stubOp(template string) string {
	src := opImport.ReplaceAllString(template, "")
	src = regexp.MustCompile(`(?m)^import \(\s*\)\n`).ReplaceAllString(src, "")
	src += "\nop: {\n"
	for _, a := range opActions {
		src += "\t" + a + ": {...}\n"
	}
	return src + "}\n"
}

// stepSamples are parameters (from KubeVela's docs and the conformance Applications) each
// built-in step must accept, plus action results to fill in and expectations on the result.
var stepSamples = map[string][]struct {
	params, results string
	want            map[string]any // CUE path -> value
}{
	"deploy": {
		{`{policies: ["topology-local"]}`, "", map[string]any{"deploy.parallelism": int64(5), "deploy.policies[0]": "topology-local"}},
		{`{auto: false}`, "", map[string]any{"suspend.message": `Waiting approval to the deploy step "step"`}},
	},
	"suspend":           {{`{duration: "30s"}`, "", map[string]any{"suspend.duration": "30s"}}},
	"step-group":        {{`{}`, "", nil}},
	"apply-component":   {{`{component: "comp"}`, `load: value: comp: {name: "comp"}`, map[string]any{"apply.value.name": "comp"}}},
	"apply-application": {{`{}`, "", nil}},
	"apply-remaining":   {{`{exceptions: ["server1"]}`, "", map[string]any{"apply.exceptions[0]": "server1"}}},
	"apply-object": {{`{value: {apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: name: "myclaim"}}`, "",
		map[string]any{"apply.value.kind": "PersistentVolumeClaim", "apply.cluster": ""}}},
	"read-object": {
		{`{name: "my-cm", apiVersion: "v1", kind: "ConfigMap"}`, "", map[string]any{"output.value.kind": "ConfigMap", "output.value.metadata.namespace": "default"}},
		{`{name: "app"}`, "", map[string]any{"output.value.kind": "Application", "output.value.apiVersion": "core.oam.dev/v1beta1"}},
	},
	"notification": {
		{`{slack: {url: value: "https://kubevela.io", message: text: "hello world"}}`, "",
			map[string]any{"slack.send.url": "https://kubevela.io", "slack.send.request.body": `{"text":"hello world","mrkdwn":true}`}},
		{`{slack: {url: secretRef: {name: "my-secret", key: "url"}, message: text: "hi"}}`, `slack: read: value: data: url: "aHR0cHM6Ly9leGFtcGxlLmNvbQ=="`,
			map[string]any{"slack.send.url": "https://example.com", "slack.read.value.metadata.name": "my-secret"}},
		{`{dingding: {url: value: "https://ding", message: text: content: "x"}, email: {from: {address: "a@b", password: value: "p", host: "smtp"}, to: ["c@d"], content: {subject: "s", body: "b"}}}`, "",
			map[string]any{"dingding.send.url": "https://ding", "email.send.from.port": int64(587), "email.send.to[0]": "c@d"}},
	},
	"webhook": {
		{`{url: value: "http://hook", data: {a: 1}}`, "", map[string]any{"webhook.req.url": "http://hook", "webhook.req.request.body": `{"a":1}`}},
		{`{url: secretRef: {name: "s", key: "k"}}`, `webhook: read: value: data: k: "aHR0cDovL2hvb2s="
data: read: value: {kind: "Application"}`, map[string]any{"webhook.req.url": "http://hook", "data.value": `{"apiVersion":"core.oam.dev/v1beta1","kind":"Application","metadata":{"name":"c","namespace":"default"}}`}},
	},
	"request": {{`{url: "https://api.github.com/repos/kubevela/workflow"}`, `req: response: {statusCode: 200, body: "{\"stargazers_count\": 7}"}`,
		map[string]any{"req.method": "GET", "response.stargazers_count": int64(7)}}},
	"export2config": {{`{configName: "my-configmap", data: testkey: "v"}`, "", map[string]any{"apply.value.data.testkey": "v", "apply.value.metadata.namespace": "default"}}},
	"export2secret": {
		{`{secretName: "my-secret", data: testkey: "v"}`, "", map[string]any{"apply.value.stringData.testkey": "v", "apply.value.kind": "Secret"}},
		{`{secretName: "reg", data: {}, kind: "docker-registry", dockerRegistry: {username: "u", password: "p"}}`, "",
			map[string]any{"apply.value.type": "kubernetes.io/dockerconfigjson",
				`apply.value.stringData.".dockerconfigjson"`: `{"auths":{"https://index.docker.io/v1/":{"username":"u","password":"p","auth":"dTpw"}}}`}},
	},
	"depends-on-app": {
		{`{name: "another-app", namespace: "default"}`, `dependsOn: value: status: status: "running"`, map[string]any{"load.wait.continue": true}},
		{`{name: "another-app", namespace: "default"}`, `dependsOn: err: "not found"
load: configMap: value: data: application: "kind: Application"`, map[string]any{"load.apply.value.kind": "Application", "load.wait.continue": false}},
	},
	"print-message-in-status": {{`{message: "All addons have been enabled"}`, "", map[string]any{"msg.message": "All addons have been enabled"}}},
	"collect-service-endpoints": {
		{`{}`, `collect: list: [{endpoint: {host: "10.0.0.1", port: 8080}}]`, map[string]any{"value.url": "http://10.0.0.1:8080", "wait.continue": true, "collect.app.name": "c"}},
		{`{port: 9}`, `collect: list: [{endpoint: {host: "h", port: 8080}}]`, map[string]any{"wait.continue": false}},
		{`{outer: true, protocal: "https"}`, `collect: list: [{endpoint: {host: "in", inner: true}}, {endpoint: {host: "out", inner: false}}]`,
			map[string]any{"value.url": "https://out", "outputs.eps[1].endpoint.host": "out"}},
	},
}

func TestWorkflowStepsWithStubOp(t *testing.T) {
	for _, d := range loadDefinitions(t) {
		if d.dir != "workflowsteps" {
			continue
		}
		samples, ok := stepSamples[d.name]
		if !ok {
			t.Errorf("%s: no sample in stepSamples", d.name)
			continue
		}
		for _, s := range samples {
			src := stubOp(d.template) + "\ncontext: " + contextStub("") + "\nparameter: " + s.params + "\n" + s.results + "\n"
			v := cuecontext.New().CompileString(src, cue.Filename(d.file))
			if err := v.Validate(); err != nil {
				t.Errorf("%s with %s: %v", d.name, s.params, err)
				continue
			}
			for p, want := range s.want {
				f := v.LookupPath(cue.ParsePath(p))
				if err := f.Validate(cue.Concrete(true)); err != nil {
					t.Errorf("%s with %s: %s: %v", d.name, s.params, p, err)
					continue
				}
				var got any
				if err := f.Decode(&got); err != nil {
					t.Errorf("%s with %s: %s: %v", d.name, s.params, p, err)
					continue
				}
				if got != want {
					t.Errorf("%s with %s: %s = %#v, want %#v", d.name, s.params, p, got, want)
				}
			}
		}
	}
}

func TestWorkflowStepsRejectBadParameters(t *testing.T) {
	defs := loadDefinitions(t)
	for name, params := range map[string]string{
		"apply-component": `{}`,
		"notification":    `{slack: {url: {value: "x", secretRef: {name: "a", key: "b"}}, message: text: "t"}}`,
		"request":         `{url: "x", method: "PATCH"}`,
		"export2secret":   `{secretName: "s", data: {}, kind: "tls"}`,
	} {
		d := byName(t, defs, "workflowsteps", name)
		src := stubOp(d.template) + "\ncontext: " + contextStub("") + "\nparameter: " + params + "\n"
		v := cuecontext.New().CompileString(src)
		if err := v.LookupPath(cue.ParsePath("parameter")).Validate(cue.Concrete(true)); err == nil {
			t.Errorf("%s accepted %s", name, params)
		}
	}
}
