package controller

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// liveDeployment is a Deployment as the API server returns it after the
// manifest below was applied: defaults, status and server metadata added.
func liveDeployment() *appsv1.Deployment {
	replicas := int32(2)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "42", Generation: 1, UID: "u1",
			Labels:      map[string]string{"app.oam.dev/name": "app", "app.oam.dev/component": "web", "tier": "web"},
			Annotations: map[string]string{"deployment.kubernetes.io/revision": "1"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.oam.dev/component": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app.oam.dev/component": "web"}},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27", ImagePullPolicy: corev1.PullAlways,
						Ports:     []corev1.ContainerPort{{ContainerPort: 80, Name: "port-80", Protocol: corev1.ProtocolTCP}},
						Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")}}}},
					RestartPolicy: corev1.RestartPolicyAlways, DNSPolicy: corev1.DNSClusterFirst,
				},
			},
		},
		Status: appsv1.DeploymentStatus{Replicas: 2, ReadyReplicas: 2, ObservedGeneration: 1},
	}
}

const manifestYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app.oam.dev/name: app, app.oam.dev/component: web}
spec:
  replicas: 2
  selector: {matchLabels: {app.oam.dev/component: web}}
  template:
    metadata:
      creationTimestamp: null
      labels: {app.oam.dev/component: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports: [{containerPort: 80, name: port-80, protocol: TCP}]
          resources: {limits: {cpu: 500m}}
`

func manifest(t *testing.T, edit func(m map[string]any)) *unstructured.Unstructured {
	t.Helper()
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(manifestYAML), &m); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(m)
	}
	return &unstructured.Unstructured{Object: m}
}

func container(m map[string]any) map[string]any {
	return m["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
}

func TestInSync(t *testing.T) {
	cases := []struct {
		name string
		edit func(m map[string]any)
		live func(d *appsv1.Deployment)
		want bool
	}{
		{name: "applied as is", want: true},
		{name: "replicas drifted", live: func(d *appsv1.Deployment) { n := int32(3); d.Spec.Replicas = &n }},
		{name: "label drifted", live: func(d *appsv1.Deployment) { d.Labels["app.oam.dev/component"] = "other" }},
		{name: "label removed", live: func(d *appsv1.Deployment) { delete(d.Labels, "app.oam.dev/component") }},
		{name: "image drifted", live: func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = "nginx:1.28" }},
		{name: "a container added live", live: func(d *appsv1.Deployment) {
			d.Spec.Template.Spec.Containers = append(d.Spec.Template.Spec.Containers, corev1.Container{Name: "side", Image: "busybox"})
		}},
		{name: "an annotation the manifest sets", edit: func(m map[string]any) {
			m["metadata"].(map[string]any)["annotations"] = map[string]any{"a": "b"}
		}},
		{name: "a field the live object lacks", edit: func(m map[string]any) { container(m)["workingDir"] = "/srv" }},
		{name: "a null for a field the live object lacks", edit: func(m map[string]any) { container(m)["workingDir"] = nil }, want: true},
		{name: "a quantity in another form", edit: func(m map[string]any) {
			container(m)["resources"] = map[string]any{"limits": map[string]any{"cpu": "0.5"}}
		}},
		{name: "owner references in the manifest", edit: func(m map[string]any) {
			m["metadata"].(map[string]any)["ownerReferences"] = []any{}
		}},
		{name: "a float for an integer", edit: func(m map[string]any) { m["spec"].(map[string]any)["replicas"] = float64(2) }, want: true},
		{name: "status in the manifest", edit: func(m map[string]any) { m["status"] = map[string]any{"replicas": int64(9)} }, want: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := liveDeployment()
			if tc.live != nil {
				tc.live(d)
			}
			m := manifest(t, tc.edit)
			live, err := asUnstructured(d, m)
			if err != nil {
				t.Fatal(err)
			}
			if live.GetAPIVersion() != "apps/v1" || live.GetKind() != "Deployment" {
				t.Fatalf("asUnstructured: %s %s", live.GetAPIVersion(), live.GetKind())
			}
			if got := inSync(m, live); got != tc.want {
				t.Errorf("inSync = %v, want %v", got, tc.want)
			}
		})
	}
}
