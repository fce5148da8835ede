package embedded

import (
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

// componentSamples holds, for every built-in component, parameters that must render.
var componentSamples = map[string]string{
	"webservice":  `{image: "nginx"}`,
	"worker":      `{image: "busybox", cmd: ["sleep", "1000"]}`,
	"task":        `{image: "perl", count: 2, cmd: ["perl", "-e", "print 1"]}`,
	"cron-task":   `{image: "perl", schedule: "*/1 * * * *"}`,
	"daemon":      `{image: "prom/node-exporter", ports: [{port: 9100, expose: true}]}`,
	"statefulset": `{image: "postgres", ports: [{port: 5432, expose: true}]}`,
	"k8s-objects": `{objects: [{apiVersion: "v1", kind: "ConfigMap", metadata: name: "a"}, {apiVersion: "v1", kind: "Secret", metadata: name: "b"}]}`,
	"ref-objects": `{objects: [{resource: "configmaps", name: "a"}]}`,
}

func TestComponentsRender(t *testing.T) {
	for _, d := range loadDefinitions(t) {
		if d.dir != "components" {
			continue
		}
		params, ok := componentSamples[d.name]
		if !ok {
			t.Errorf("%s: no sample parameters in componentSamples", d.name)
			continue
		}
		t.Run(d.name, func(t *testing.T) {
			v := render(t, d, params, "")
			if d.name == "ref-objects" {
				return // objects are resolved by the engine before rendering
			}
			out := concrete(t, v, "output")
			if out["apiVersion"] == nil || out["kind"] == nil {
				t.Errorf("output lacks apiVersion/kind: %s", asJSON(out))
			}
		})
	}
}

func TestWebservice(t *testing.T) {
	d := byName(t, loadDefinitions(t), "components", "webservice")

	t.Run("minimal", func(t *testing.T) {
		v := render(t, d, `{image: "nginx"}`, "")
		out := concrete(t, v, "output")
		if out["kind"] != "Deployment" || out["apiVersion"] != "apps/v1" {
			t.Fatalf("want apps/v1 Deployment, got %s", asJSON(out))
		}
		if get(out, "spec.replicas") != nil {
			t.Errorf("spec.replicas must be left to the scaler trait, got %v", get(out, "spec.replicas"))
		}
		sel, _ := get(out, "spec.selector.matchLabels").(map[string]any)
		if sel["app.oam.dev/component"] != "c" {
			t.Errorf("selector %v", sel)
		}
		labels, _ := get(out, "spec.template.metadata.labels").(map[string]any)
		if labels["app.oam.dev/component"] != "c" || labels["app.oam.dev/name"] != "a" {
			t.Errorf("pod labels %v", labels)
		}
		if got := get(out, "spec.template.spec.containers.0.image"); got != "nginx" {
			t.Errorf("image %v", got)
		}
		if got := get(out, "spec.template.spec.containers.0.name"); got != "c" {
			t.Errorf("container name %v", got)
		}
		if outs := concrete(t, v, "outputs"); len(outs) != 0 {
			t.Errorf("no Service without exposed ports, got %s", asJSON(outs))
		}
	})

	t.Run("full", func(t *testing.T) {
		v := render(t, d, `{
			image: "nginx:1.20"
			imagePullPolicy: "IfNotPresent"
			imagePullSecrets: ["regcred"]
			labels: team: "x"
			annotations: note: "y"
			ports: [{port: 80, expose: true}, {port: 8080, containerPort: 9090, name: "admin"}]
			cmd: ["nginx"]
			args: ["-g", "daemon off;"]
			env: [{name: "A", value: "1"}, {name: "B", valueFrom: secretKeyRef: {name: "s", key: "k"}}]
			cpu: "0.5"
			memory: "256Mi"
			limit: cpu: "1"
			volumeMounts: {
				pvc: [{name: "data", mountPath: "/data", claimName: "claim"}]
				configMap: [{name: "cfg", mountPath: "/etc/cfg", cmName: "cm"}]
				secret: [{name: "sec", mountPath: "/etc/sec", secretName: "sn"}]
				emptyDir: [{name: "tmp", mountPath: "/tmp"}, {name: "tmp", mountPath: "/tmp2"}]
				hostPath: [{name: "host", mountPath: "/host", path: "/var"}]
			}
			livenessProbe: httpGet: {path: "/healthz", port: 80}
			readinessProbe: tcpSocket: port: 80
			hostAliases: [{ip: "127.0.0.1", hostnames: ["local"]}]
		}`, "")
		out := concrete(t, v, "output")
		c := get(out, "spec.template.spec.containers.0")
		checks := map[string]any{
			"ports.0.containerPort":            float64(80),
			"ports.0.name":                     "port-80",
			"ports.0.protocol":                 "TCP",
			"ports.1.containerPort":            float64(9090),
			"ports.1.name":                     "admin",
			"imagePullPolicy":                  "IfNotPresent",
			"command.0":                        "nginx",
			"args.1":                           "daemon off;",
			"env.1.valueFrom.secretKeyRef.key": "k",
			"resources.requests.cpu":           "0.5",
			"resources.requests.memory":        "256Mi",
			"resources.limits.cpu":             "1",
			"resources.limits.memory":          "256Mi",
			"livenessProbe.httpGet.port":       float64(80),
			"livenessProbe.periodSeconds":      float64(10),
			"readinessProbe.tcpSocket.port":    float64(80),
			"volumeMounts.3.mountPath":         "/tmp",
			"volumeMounts.4.mountPath":         "/tmp2",
		}
		for p, want := range checks {
			if got := get(c, p); got != want {
				t.Errorf("container %s = %v, want %v", p, got, want)
			}
		}
		vols, _ := get(out, "spec.template.spec.volumes").([]any)
		if len(vols) != 5 {
			t.Errorf("want 5 distinct volumes, got %s", asJSON(vols))
		}
		for p, want := range map[string]any{
			"spec.template.spec.volumes.0.persistentVolumeClaim.claimName": "claim",
			"spec.template.spec.volumes.1.configMap.name":                  "cm",
			"spec.template.spec.volumes.1.configMap.defaultMode":           float64(420),
			"spec.template.spec.volumes.2.secret.secretName":               "sn",
			"spec.template.spec.volumes.4.hostPath.path":                   "/var",
			"spec.template.spec.imagePullSecrets.0.name":                   "regcred",
			"spec.template.spec.hostAliases.0.ip":                          "127.0.0.1",
			"metadata.labels.team":                                         "x",
			"spec.template.metadata.labels.team":                           "x",
			"spec.template.metadata.annotations.note":                      "y",
		} {
			if got := get(out, p); got != want {
				t.Errorf("%s = %v, want %v", p, got, want)
			}
		}
		svc := concrete(t, v, "outputs.webserviceExpose")
		if svc["kind"] != "Service" || get(svc, "metadata.name") != "c" {
			t.Fatalf("service %s", asJSON(svc))
		}
		ports, _ := get(svc, "spec.ports").([]any)
		if len(ports) != 1 || get(ports, "0.port") != float64(80) || get(ports, "0.targetPort") != float64(80) {
			t.Errorf("only the exposed port belongs to the Service: %s", asJSON(ports))
		}
		if get(svc, "spec.type") != "ClusterIP" {
			t.Errorf("service type %v", get(svc, "spec.type"))
		}
	})

	t.Run("port names", func(t *testing.T) {
		v := render(t, d, `{image: "x", ports: [{port: 53, protocol: "UDP", expose: true}, {port: 8080, containerPort: 9090, expose: true}]}`, "")
		c := get(concrete(t, v, "output"), "spec.template.spec.containers.0")
		svc := concrete(t, v, "outputs.webserviceExpose")
		for p, want := range map[string]any{"ports.0.name": "port-53-udp", "ports.1.name": "port-9090", "ports.1.containerPort": float64(9090)} {
			if got := get(c, p); got != want {
				t.Errorf("container %s = %v, want %v", p, got, want)
			}
		}
		for p, want := range map[string]any{"spec.ports.0.name": "port-53-udp", "spec.ports.0.protocol": "UDP", "spec.ports.1.name": "port-9090", "spec.ports.1.targetPort": float64(9090), "spec.ports.1.port": float64(8080)} {
			if got := get(svc, p); got != want {
				t.Errorf("service %s = %v, want %v", p, got, want)
			}
		}
	})

	t.Run("deprecated port", func(t *testing.T) {
		out := concrete(t, render(t, d, `{image: "x", port: 8000}`, ""), "output")
		if got := get(out, "spec.template.spec.containers.0.ports.0.containerPort"); got != float64(8000) {
			t.Errorf("containerPort %v", got)
		}
	})

	t.Run("nodePort", func(t *testing.T) {
		v := render(t, d, `{image: "x", exposeType: "NodePort", ports: [{port: 80, expose: true, nodePort: 30080}]}`, "")
		svc := concrete(t, v, "outputs.webserviceExpose")
		if get(svc, "spec.ports.0.nodePort") != float64(30080) || get(svc, "spec.type") != "NodePort" {
			t.Errorf("service %s", asJSON(svc))
		}
	})

	t.Run("missing image", func(t *testing.T) {
		v := cuecontext.New().CompileString(d.template + "\ncontext: " + contextStub("") + "\nparameter: {}\n")
		if err := v.LookupPath(cue.ParsePath("output")).Validate(cue.Concrete(true)); err == nil {
			t.Error("want an error without image")
		}
	})
}

func TestWebserviceHealth(t *testing.T) {
	d := byName(t, loadDefinitions(t), "components", "webservice")
	cases := []struct {
		output string
		want   bool
		msg    string
	}{
		{`{spec: replicas: 2, metadata: generation: 1, status: {readyReplicas: 2, updatedReplicas: 2, replicas: 2, observedGeneration: 1}}`, true, "Ready:2/2"},
		{`{spec: replicas: 2, metadata: generation: 2, status: {readyReplicas: 1, updatedReplicas: 2, replicas: 2, observedGeneration: 2}}`, false, "Ready:1/2"},
		{`{spec: {}, metadata: {}, status: {}}`, false, "Ready:0/1"},
		{`{spec: replicas: 1, metadata: annotations: "app.oam.dev/disable-health-check": "true"}`, true, "Ready:0/1"},
	}
	for _, c := range cases {
		h := evalStatus(t, d.status("healthPolicy"), c.output)
		if got, _ := h.LookupPath(cue.ParsePath("isHealth")).Bool(); got != c.want {
			t.Errorf("isHealth for %s = %v, want %v", c.output, got, c.want)
		}
		m := evalStatus(t, d.status("customStatus"), c.output)
		if got, _ := m.LookupPath(cue.ParsePath("message")).String(); got != c.msg {
			t.Errorf("message for %s = %q, want %q", c.output, got, c.msg)
		}
	}
}

func evalStatus(t *testing.T, src, output string) cue.Value {
	t.Helper()
	v := cuecontext.New().CompileString(src + "\ncontext: " + contextStub(output) + "\n")
	if err := v.Validate(); err != nil {
		t.Fatalf("status with output %s: %v", output, err)
	}
	return v
}

func TestOtherComponents(t *testing.T) {
	defs := loadDefinitions(t)
	cases := []struct {
		name, params string
		want         map[string]any // paths into output
		outputs      []string       // names expected in outputs, in any order
	}{
		{"worker", `{image: "busybox", cmd: ["sleep", "1000"], volumes: [{name: "log", mountPath: "/var/log"}]}`, map[string]any{
			"kind": "Deployment", "spec.template.spec.containers.0.command.1": "1000",
			"spec.template.spec.volumes.0.emptyDir.medium": "", "spec.selector.matchLabels.app.oam.dev/component": nil,
		}, nil},
		{"task", `{image: "perl", count: 3}`, map[string]any{
			"apiVersion": "batch/v1", "kind": "Job", "spec.parallelism": float64(3), "spec.completions": float64(3),
			"spec.template.spec.restartPolicy": "Never",
		}, nil},
		{"cron-task", `{image: "perl", schedule: "*/1 * * * *", restart: "OnFailure"}`, map[string]any{
			"kind": "CronJob", "spec.schedule": "*/1 * * * *", "spec.concurrencyPolicy": "Allow",
			"spec.jobTemplate.spec.backoffLimit": float64(6), "spec.jobTemplate.spec.template.spec.restartPolicy": "OnFailure",
			"spec.jobTemplate.spec.template.spec.containers.0.image": "perl",
		}, nil},
		{"daemon", `{image: "prom/node-exporter", volumeMounts: hostPath: [{name: "sys", path: "/sys", mountPath: "/host/sys", mountPropagation: "HostToContainer", readOnly: true}]}`, map[string]any{
			"kind": "DaemonSet", "spec.template.spec.volumes.0.hostPath.path": "/sys",
			"spec.template.spec.containers.0.volumeMounts.0.mountPropagation": "HostToContainer",
			"spec.template.spec.containers.0.volumeMounts.0.readOnly":         true,
		}, nil},
		{"statefulset", `{image: "postgres", cpu: "1", ports: [{port: 5432, expose: true}]}`, map[string]any{
			"kind": "StatefulSet", "spec.serviceName": "c-headless", "spec.replicas": nil,
			"spec.template.spec.containers.0.resources.limits.cpu": "1",
		}, []string{"statefulsetsHeadless", "statefulsetsExpose"}},
		{"k8s-objects", componentSamples["k8s-objects"], map[string]any{"kind": "ConfigMap", "metadata.name": "a"}, []string{"objects-1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := render(t, byName(t, defs, "components", c.name), c.params, "")
			out := concrete(t, v, "output")
			for p, want := range c.want {
				if strings.Contains(p, "app.oam.dev/") { // label keys contain dots
					i := strings.Index(p, "app.oam.dev/")
					m, _ := get(out, p[:i-1]).(map[string]any)
					if m[p[i:]] != "c" {
						t.Errorf("%s = %v, want c", p, m[p[i:]])
					}
					continue
				}
				if got := get(out, p); got != want {
					t.Errorf("%s = %v, want %v", p, got, want)
				}
			}
			outs := map[string]any{}
			if v.LookupPath(cue.ParsePath("outputs")).Exists() {
				outs = concrete(t, v, "outputs")
			}
			if len(outs) != len(c.outputs) {
				t.Errorf("outputs %s, want %v", asJSON(outs), c.outputs)
			}
			for _, name := range c.outputs {
				if outs[name] == nil {
					t.Errorf("outputs.%s missing", name)
				}
			}
		})
	}
}

func TestRefObjects(t *testing.T) {
	d := byName(t, loadDefinitions(t), "components", "ref-objects")
	v := render(t, d, `{objects: [{apiVersion: "v1", kind: "ConfigMap", metadata: name: "a"}, {apiVersion: "v1", kind: "Secret", metadata: name: "b"}]}`, "")
	if out := concrete(t, v, "output"); out["kind"] != "ConfigMap" {
		t.Errorf("output %s", asJSON(out))
	}
	if outs := concrete(t, v, "outputs"); get(outs, "objects-1.kind") != "Secret" {
		t.Errorf("outputs %s", asJSON(outs))
	}
	v = render(t, d, `{objects: [{resource: "configmaps", name: "a"}]}`, "")
	var errs []string
	if err := v.LookupPath(cue.ParsePath("errs")).Decode(&errs); err != nil || len(errs) != 1 {
		t.Errorf("an unresolved reference must be reported, got %v %v", errs, err)
	}
}
