package embedded

import (
	"testing"

	"cuelang.org/go/cue"
)

// baseDeployment is the workload traits are tested against: what webservice renders,
// plus a second container so per-container patches are exercised.
const baseDeployment = `{
	apiVersion: "apps/v1"
	kind: "Deployment"
	metadata: name: "c"
	spec: {
		selector: matchLabels: "app.oam.dev/component": "c"
		template: {
			metadata: labels: {"app.oam.dev/component": "c", "app.oam.dev/name": "a"}
			spec: containers: [{
				name: "c"
				image: "nginx"
				args: ["-a", "-b"]
				env: [{name: "A", value: "1"}, {name: "B", valueFrom: secretKeyRef: {name: "s", key: "k"}}]
				resources: requests: cpu: "0.2"
			}, {
				name: "side"
				image: "busybox"
			}]
		}
	}
}`

// traitSamples holds, for every built-in trait, parameters that must render against
// baseDeployment without errors.
var traitSamples = map[string]string{
	"scaler":                    `{replicas: 3}`,
	"labels":                    `{release: "stable"}`,
	"annotations":               `{"description": "web"}`,
	"env":                       `{env: {A: "2", C: "3"}}`,
	"storage":                   `{pvc: [{name: "data", mountPath: "/data"}]}`,
	"expose":                    `{port: [8000]}`,
	"gateway":                   `{domain: "example.com", http: {"/": 8000}}`,
	"sidecar":                   `{name: "log", image: "busybox"}`,
	"resource":                  `{cpu: 0.5, memory: "256Mi"}`,
	"hpa":                       `{}`,
	"cpuscaler":                 `{}`,
	"command":                   `{command: ["sleep", "1"]}`,
	"container-image":           `{image: "nginx:1.25"}`,
	"affinity":                  `{tolerations: [{key: "k", operator: "Exists"}]}`,
	"service-account":           `{name: "sa", create: true, privileges: [{verbs: ["get"], resources: ["pods"]}]}`,
	"init-container":            `{name: "init", image: "busybox", appMountPath: "/data", initMountPath: "/init"}`,
	"json-patch":                `{operations: [{op: "add", path: "/spec/replicas", value: 3}]}`,
	"json-merge-patch":          `{spec: replicas: 3}`,
	"container-ports":           `{ports: [{containerPort: 80, hostPort: 8080}]}`,
	"hostalias":                 `{hostAliases: [{ip: "127.0.0.1", hostnames: ["local"]}]}`,
	"lifecycle":                 `{preStop: exec: command: ["sleep", "5"]}`,
	"startup-probe":             `{httpGet: {path: "/", port: 80}}`,
	"k8s-update-strategy":       `{strategy: {type: "RollingUpdate", rollingStrategy: {maxSurge: "20%"}}}`,
	"securitycontext":           `{runAsUser: 1000}`,
	"podsecuritycontext":        `{fsGroup: 2000}`,
	"topologyspreadconstraints": `{constraints: [{maxSkew: 1, topologyKey: "zone", labelSelector: matchLabels: app: "x"}]}`,
	// deprecated KubeVela traits kept for the conformance examples
	"configmap":       `{volumes: [{name: "cfg", mountPath: "/cfg", data: {a: "b"}}, {name: "other", mountPath: "/other"}]}`,
	"pvc":             `{claimName: "c1", volumeMode: "Block", resources: requests: storage: "2Gi", volumesToMount: [{name: "v", devicePath: "/tmp"}]}`,
	"ingress":         `{domain: "example.com", http: {"/": 8000}}`,
	"service-binding": `{envMappings: {MY_ENV: secret: "secret1", MY_ENV2: {secret: "secret2", key: "test"}}}`,
}

// renderTrait renders a trait against baseDeployment and checks it reported no errs.
func renderTrait(t *testing.T, d definition, params string) cue.Value {
	t.Helper()
	v := render(t, d, params, baseDeployment)
	if errs := v.LookupPath(cue.ParsePath("errs")); errs.Exists() {
		var list []string
		if err := errs.Decode(&list); err != nil || len(list) > 0 {
			t.Fatalf("%s with %s: errs %v %v", d.name, params, list, err)
		}
	}
	return v
}

func TestTraitsRender(t *testing.T) {
	for _, d := range loadDefinitions(t) {
		if d.dir != "traits" {
			continue
		}
		params, ok := traitSamples[d.name]
		if !ok {
			t.Errorf("%s: no sample parameters in traitSamples", d.name)
			continue
		}
		t.Run(d.name, func(t *testing.T) {
			v := renderTrait(t, d, params)
			patch, outputs := v.LookupPath(cue.ParsePath("patch")), v.LookupPath(cue.ParsePath("outputs"))
			if !patch.Exists() && !outputs.Exists() {
				t.Fatal("neither patch nor outputs")
			}
			if patch.Exists() {
				concrete(t, v, "patch")
			}
			if outputs.Exists() {
				concrete(t, v, "outputs")
			}
		})
	}
}

// tagOf returns the +patchKey / +patchStrategy comment on the field at p.
func tagOf(v cue.Value, p string) string {
	for _, cg := range v.LookupPath(cue.ParsePath(p)).Doc() {
		for _, c := range cg.List {
			return c.Text
		}
	}
	return ""
}

func TestScalerTrait(t *testing.T) {
	d := byName(t, loadDefinitions(t), "traits", "scaler")
	v := renderTrait(t, d, `{replicas: 3}`)
	if got := get(concrete(t, v, "patch"), "spec.replicas"); got != float64(3) {
		t.Errorf("spec.replicas = %v", got)
	}
	if got := get(concrete(t, renderTrait(t, d, `{}`), "patch"), "spec.replicas"); got != float64(1) {
		t.Errorf("default replicas = %v", got)
	}
}

func TestLabelsAndAnnotationsTraits(t *testing.T) {
	defs := loadDefinitions(t)
	for _, field := range []string{"labels", "annotations"} {
		v := renderTrait(t, byName(t, defs, "traits", field), `{release: "stable", gone: null}`)
		p := concrete(t, v, "patch")
		for _, at := range []string{"metadata." + field, "spec.template.metadata." + field} {
			m, _ := get(p, at).(map[string]any)
			if m["release"] != "stable" {
				t.Errorf("%s: %s = %v", field, at, m)
			}
			if v, ok := m["gone"]; !ok || v != nil {
				t.Errorf("%s: %s.gone should be null to delete it, got %v", field, at, m)
			}
		}
	}
}

func TestEnvTrait(t *testing.T) {
	d := byName(t, loadDefinitions(t), "traits", "env")
	cases := []struct{ params, want string }{
		{`{env: {A: "2", C: "3"}}`, `[{"name":"A","value":"2"},{"name":"B","valueFrom":{"secretKeyRef":{"key":"k","name":"s"}}},{"name":"C","value":"3"}]`},
		{`{env: {C: "3"}, unset: ["A"]}`, `[{"name":"B","valueFrom":{"secretKeyRef":{"key":"k","name":"s"}}},{"name":"C","value":"3"}]`},
		{`{env: {C: "3"}, replace: true}`, `[{"name":"C","value":"3"}]`},
		{`{containers: [{containerName: "side", env: {X: "1"}}]}`, `[{"name":"X","value":"1"}]`},
	}
	for _, c := range cases {
		v := renderTrait(t, d, c.params)
		got := asJSON(get(concrete(t, v, "patch"), "spec.template.spec.containers.0.env"))
		if got != c.want {
			t.Errorf("env %s:\n got %s\nwant %s", c.params, got, c.want)
		}
	}
	v := renderTrait(t, d, `{env: {A: "2"}}`)
	if tag := tagOf(v, "patch.spec.template.spec.containers"); tag != "// +patchKey=name" {
		t.Errorf("containers tag %q", tag)
	}
	missing := render(t, d, `{containerName: "nope", env: {A: "1"}}`, baseDeployment)
	var errs []string
	if err := missing.LookupPath(cue.ParsePath("errs")).Decode(&errs); err != nil || len(errs) != 1 {
		t.Errorf("want one error for a missing container, got %v %v", errs, err)
	}
}

func TestStorageTrait(t *testing.T) {
	d := byName(t, loadDefinitions(t), "traits", "storage")
	v := renderTrait(t, d, `{
		pvc: [{name: "data", mountPath: "/data", storageClassName: "local-path", resources: requests: storage: "2Gi"},
			{name: "raw", mountPath: "/dev/xvda", volumeMode: "Block", mountOnly: true}]
		configMap: [{name: "cfg", mountPath: "/etc/cfg", data: {a: "1"}, mountToEnv: {envName: "A", configMapKey: "a"}}]
		secret: [{name: "sec", mountPath: "/etc/sec", mountOnly: true}]
		emptyDir: [{name: "tmp", mountPath: "/tmp"}]
		hostPath: [{name: "h", path: "/var", mountPath: "/host"}]
	}`)
	p := concrete(t, v, "patch")
	vols, _ := get(p, "spec.template.spec.volumes").([]any)
	if get(vols, "5.hostPath.type") != "Directory" {
		t.Errorf("hostPath type defaults to Directory: %s", asJSON(vols))
	}
	if len(vols) != 6 || get(vols, "0.persistentVolumeClaim.claimName") != "data" || get(vols, "2.configMap.name") != "cfg" {
		t.Errorf("volumes %s", asJSON(vols))
	}
	c := get(p, "spec.template.spec.containers.0")
	if get(c, "name") != "c" || get(c, "volumeMounts.0.mountPath") != "/data" || get(c, "volumeDevices.0.devicePath") != "/dev/xvda" {
		t.Errorf("container patch %s", asJSON(c))
	}
	if get(c, "env.0.valueFrom.configMapKeyRef.key") != "a" {
		t.Errorf("env %s", asJSON(get(c, "env")))
	}
	outs := concrete(t, v, "outputs")
	if len(outs) != 2 {
		t.Errorf("want the pvc and the configmap, got %s", asJSON(outs))
	}
	pvc := outs["pvc-data"]
	if get(pvc, "kind") != "PersistentVolumeClaim" || get(pvc, "spec.accessModes.0") != "ReadWriteOnce" ||
		get(pvc, "spec.resources.requests.storage") != "2Gi" || get(pvc, "spec.storageClassName") != "local-path" {
		t.Errorf("pvc %s", asJSON(pvc))
	}
}

func TestExposeTrait(t *testing.T) {
	d := byName(t, loadDefinitions(t), "traits", "expose")
	v := renderTrait(t, d, `{port: [8000, 9000], annotations: {"a": "b"}}`)
	svc := concrete(t, v, "outputs.service")
	if svc["kind"] != "Service" || get(svc, "spec.ports.1.port") != float64(9000) || get(svc, "spec.ports.0.name") != "port-8000" ||
		get(svc, "spec.type") != "ClusterIP" || get(svc, "metadata.annotations.a") != "b" {
		t.Errorf("service %s", asJSON(svc))
	}
	sel, _ := get(svc, "spec.selector").(map[string]any)
	if sel["app.oam.dev/component"] != "c" {
		t.Errorf("selector %v", sel)
	}
	v = renderTrait(t, d, `{ports: [{port: 80, nodePort: 30080}, {port: 53, protocol: "UDP"}], type: "NodePort"}`)
	svc = concrete(t, v, "outputs.service")
	if get(svc, "spec.ports.0.nodePort") != float64(30080) || get(svc, "spec.ports.1.name") != "port-53-udp" {
		t.Errorf("service %s", asJSON(svc))
	}
}

func TestGatewayTrait(t *testing.T) {
	d := byName(t, loadDefinitions(t), "traits", "gateway")
	v := renderTrait(t, d, `{domain: "example.com", http: {"/": 8000, "/api": 8080}}`)
	ing := concrete(t, v, "outputs.ingress")
	if get(ing, "apiVersion") != "networking.k8s.io/v1" || get(ing, "spec.rules.0.host") != "example.com" ||
		get(ing, "spec.rules.0.http.paths.1.backend.service.port.number") != float64(8080) ||
		get(ing, "spec.rules.0.http.paths.0.pathType") != "ImplementationSpecific" {
		t.Errorf("ingress %s", asJSON(ing))
	}
	svc := concrete(t, v, "outputs.service")
	if ports, _ := get(svc, "spec.ports").([]any); len(ports) != 2 {
		t.Errorf("service %s", asJSON(svc))
	}
	v = renderTrait(t, d, `{name: "x", existingServiceName: "other", classInSpec: true, http: {"/": 80}}`)
	outs := concrete(t, v, "outputs")
	if len(outs) != 1 || get(outs, "ingress-x.spec.ingressClassName") != "nginx" || get(outs, "ingress-x.spec.rules.0.http.paths.0.backend.service.name") != "other" {
		t.Errorf("outputs %s", asJSON(outs))
	}
}

func TestSidecarAndResourceTraits(t *testing.T) {
	defs := loadDefinitions(t)
	v := renderTrait(t, byName(t, defs, "traits", "sidecar"), `{name: "log", image: "busybox", cmd: ["tail"], volumes: [{name: "varlog", path: "/var/log"}]}`)
	c := get(concrete(t, v, "patch"), "spec.template.spec.containers.0")
	if get(c, "name") != "log" || get(c, "command.0") != "tail" || get(c, "volumeMounts.0.mountPath") != "/var/log" {
		t.Errorf("sidecar %s", asJSON(c))
	}

	r := byName(t, defs, "traits", "resource")
	p := concrete(t, renderTrait(t, r, `{cpu: 0.1, memory: "250Mi"}`), "patch")
	cs, _ := get(p, "spec.template.spec.containers").([]any)
	if len(cs) != 2 || get(cs, "1.name") != "side" || get(cs, "0.resources.limits.memory") != "250Mi" || get(cs, "0.resources.requests.cpu") != 0.1 {
		t.Errorf("resource patch %s", asJSON(cs))
	}
	p = concrete(t, renderTrait(t, r, `{requests: {cpu: "1.5", memory: "300Mi"}, limits: {cpu: 2, memory: "500Mi"}}`), "patch")
	if get(p, "spec.template.spec.containers.0.resources.requests.cpu") != "1.5" || get(p, "spec.template.spec.containers.0.resources.limits.cpu") != float64(2) {
		t.Errorf("resource patch %s", asJSON(p))
	}
}

func TestContainerTraits(t *testing.T) {
	defs := loadDefinitions(t)
	cases := []struct {
		trait, params string
		want          map[string]any // paths into patch.spec.template.spec
	}{
		{"command", `{args: ["--x"]}`, map[string]any{"containers.0.name": "c", "containers.0.args.0": "--x", "containers.0.command": nil}},
		{"command", `{addArgs: ["-c"], delArgs: ["-a"]}`, map[string]any{"containers.0.args.0": "-b", "containers.0.args.1": "-c"}},
		{"command", `{containers: [{containerName: "side", command: ["sh"]}]}`, map[string]any{"containers.0.name": "side", "containers.0.command.0": "sh"}},
		{"container-image", `{image: "nginx:2", imagePullPolicy: "Always"}`, map[string]any{"containers.0.image": "nginx:2", "containers.0.imagePullPolicy": "Always"}},
		{"container-image", `{image: "nginx:2"}`, map[string]any{"containers.0.imagePullPolicy": nil}},
		{"container-ports", `{ports: [{containerPort: 80, hostPort: 8080}]}`, map[string]any{"containers.0.ports.0.containerPort": float64(80), "containers.0.ports.0.hostPort": float64(8080), "containers.0.ports.0.protocol": "TCP"}},
		{"startup-probe", `{containerName: "side", httpGet: {host: "x", scheme: "HTTPS", port: 443}, periodSeconds: 4}`, map[string]any{
			"containers.0.name": "side", "containers.0.startupProbe.httpGet.port": float64(443), "containers.0.startupProbe.periodSeconds": float64(4),
			"containers.0.startupProbe.failureThreshold": float64(3), "containers.0.startupProbe.containerName": nil}},
		{"securitycontext", `{runAsUser: 1000, dropCapabilities: ["ALL"]}`, map[string]any{"containers.0.securityContext.runAsUser": float64(1000), "containers.0.securityContext.runAsNonRoot": true, "containers.0.securityContext.capabilities.drop.0": "ALL"}},
		{"lifecycle", `{postStart: exec: command: ["echo"], preStop: httpGet: {host: "h", scheme: "HTTPS", port: 443}}`, map[string]any{"containers.1.name": "side", "containers.1.lifecycle.preStop.httpGet.port": float64(443), "containers.0.lifecycle.postStart.exec.command.0": "echo"}},
		{"hostalias", `{hostAliases: [{ip: "127.0.0.1", hostnames: ["a"]}]}`, map[string]any{"hostAliases.0.hostnames.0": "a"}},
		{"podsecuritycontext", `{fsGroup: 2000, seccompProfile: type: "RuntimeDefault"}`, map[string]any{"securityContext.fsGroup": float64(2000), "securityContext.runAsNonRoot": true, "securityContext.seccompProfile.type": "RuntimeDefault"}},
		{"topologyspreadconstraints", `{constraints: [{maxSkew: 1, topologyKey: "zone", labelSelector: matchExpressions: [{key: "foo", values: ["a"]}]}]}`, map[string]any{
			"topologySpreadConstraints.0.whenUnsatisfiable": "DoNotSchedule", "topologySpreadConstraints.0.labelSelector.matchExpressions.0.operator": "In", "topologySpreadConstraints.0.nodeTaintsPolicy": "Honor"}},
		{"affinity", `{podAntiAffinity: preferred: [{weight: 1, podAffinityTerm: {topologyKey: "kubernetes.io/hostname"}}], nodeAffinity: required: nodeSelectorTerms: [{matchExpressions: [{key: "zone", values: ["a"]}]}]}`, map[string]any{
			"affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution.0.weight":                                    float64(1),
			"affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms.0.matchExpressions.0.operator": "In"}},
		{"service-account", `{name: "robot"}`, map[string]any{"serviceAccountName": "robot"}},
		{"init-container", `{name: "init", image: "busybox", cmd: ["echo"], appMountPath: "/app", initMountPath: "/init", extraVolumeMounts: [{name: "x", mountPath: "/x"}]}`, map[string]any{
			"volumes.0.name": "workdir", "containers.0.name": "c", "containers.0.volumeMounts.0.mountPath": "/app",
			"initContainers.0.volumeMounts.0.mountPath": "/init", "initContainers.0.volumeMounts.1.name": "x", "initContainers.0.imagePullPolicy": "IfNotPresent"}},
	}
	for _, c := range cases {
		v := renderTrait(t, byName(t, defs, "traits", c.trait), c.params)
		spec := get(concrete(t, v, "patch"), "spec.template.spec")
		for p, want := range c.want {
			if got := get(spec, p); got != want {
				t.Errorf("%s %s: %s = %v, want %v (patch %s)", c.trait, c.params, p, got, want, asJSON(spec))
			}
		}
	}

	cmd := byName(t, defs, "traits", "command")
	v := render(t, cmd, `{args: ["x"], addArgs: ["y"]}`, baseDeployment)
	var errs []string
	if err := v.LookupPath(cue.ParsePath("errs")).Decode(&errs); err != nil || len(errs) != 1 {
		t.Errorf("args with addArgs: want one error, got %v %v", errs, err)
	}
}

func TestWorkloadLevelTraits(t *testing.T) {
	defs := loadDefinitions(t)
	p := concrete(t, renderTrait(t, byName(t, defs, "traits", "k8s-update-strategy"), `{strategy: {type: "RollingUpdate", rollingStrategy: {maxSurge: "20%", maxUnavailable: "30%"}}}`), "patch")
	if get(p, "spec.strategy.rollingUpdate.maxSurge") != "20%" || get(p, "spec.strategy.type") != "RollingUpdate" {
		t.Errorf("deployment strategy %s", asJSON(p))
	}
	p = concrete(t, renderTrait(t, byName(t, defs, "traits", "k8s-update-strategy"), `{targetKind: "DaemonSet", strategy: type: "OnDelete"}`), "patch")
	if get(p, "spec.updateStrategy.type") != "OnDelete" || get(p, "spec.updateStrategy.rollingUpdate") != nil {
		t.Errorf("daemonset strategy %s", asJSON(p))
	}

	hpa := concrete(t, renderTrait(t, byName(t, defs, "traits", "hpa"), `{max: 10, cpu: {type: "Utilization", value: 80}, mem: {type: "AverageValue", value: 90}, podCustomMetrics: [{name: "rate", value: "77"}]}`), "outputs.hpa")
	if get(hpa, "apiVersion") != "autoscaling/v2" || get(hpa, "spec.scaleTargetRef.name") != "c" || get(hpa, "spec.minReplicas") != float64(1) ||
		get(hpa, "spec.metrics.0.resource.target.averageUtilization") != float64(80) || get(hpa, "spec.metrics.1.resource.target.averageValue") != float64(90) ||
		get(hpa, "spec.metrics.2.pods.target.averageValue") != "77" {
		t.Errorf("hpa %s", asJSON(hpa))
	}
	cs := concrete(t, renderTrait(t, byName(t, defs, "traits", "cpuscaler"), `{cpuUtil: 60}`), "outputs.cpuscaler")
	if get(cs, "spec.targetCPUUtilizationPercentage") != float64(60) || get(cs, "spec.maxReplicas") != float64(10) {
		t.Errorf("cpuscaler %s", asJSON(cs))
	}

	outs := concrete(t, renderTrait(t, byName(t, defs, "traits", "service-account"), `{name: "robot", create: true, privileges: [{verbs: ["get"], resources: ["pods"]}, {verbs: ["list"], resources: ["nodes"], scope: "cluster"}]}`), "outputs")
	if len(outs) != 5 || get(outs, "role.rules.0.verbs.0") != "get" || get(outs, "cluster-role.metadata.name") != "default:c" ||
		get(outs, "cluster-role-binding.subjects.0.namespace") != "default" || get(outs, "service-account.metadata.name") != "robot" {
		t.Errorf("service-account outputs %s", asJSON(outs))
	}

	jp := renderTrait(t, byName(t, defs, "traits", "json-patch"), traitSamples["json-patch"])
	if tag := tagOf(jp, "patch"); tag != "// +patchStrategy=jsonPatch" {
		t.Errorf("json-patch tag %q", tag)
	}
	if get(concrete(t, jp, "patch"), "operations.0.path") != "/spec/replicas" {
		t.Errorf("json-patch patch")
	}
	jm := renderTrait(t, byName(t, defs, "traits", "json-merge-patch"), `{spec: replicas: 3, metadata: labels: x: null}`)
	if tag := tagOf(jm, "patch"); tag != "// +patchStrategy=jsonMergePatch" {
		t.Errorf("json-merge-patch tag %q", tag)
	}
}
