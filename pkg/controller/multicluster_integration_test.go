package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/multicluster"
	"velad.io/velad/pkg/testenv"
)

// The hub is this process's testenv and controller; the member is this test
// binary re-executed as a bare control plane (velad install --cluster-only).

const multiClusterApp = `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: mc}
spec:
  components:
  - name: mc-web
    type: webservice
    properties: {image: nginx, port: 80}
    traits: [{type: scaler, properties: {replicas: 1}}]
  policies:
  - {name: topology-local, type: topology, properties: {clusters: [local]}}
  - {name: topology-member, type: topology, properties: {clusterLabelSelector: {region: eu}, namespace: edge}}
  - name: override-local
    type: override
    properties:
      components: [{name: mc-web, traits: [{type: scaler, properties: {replicas: 1}}]}]
  - name: override-member
    type: override
    properties:
      components: [{name: mc-web, traits: [{type: scaler, properties: {replicas: 3}}]}]
  workflow:
    steps:
    - {name: deploy-local, type: deploy, properties: {policies: [topology-local, override-local]}}
    - {name: deploy-member, type: deploy, properties: {policies: [topology-member, override-member]}}
`

// TestIntegrationMultiClusterDeliveryAndFaults delivers one webservice to the
// hub and a member with per-cluster replicas, survives the member stopping
// during a deploy, reports a refused credential by cluster, and deletes from both.
func TestIntegrationMultiClusterDeliveryAndFaults(t *testing.T) {
	setup(t)
	ctx := context.Background()
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	member, err := testenv.StartChild(dir, port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { member.Stop() })
	reg, err := multicluster.Connect(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.JoinKubeconfig(ctx, member.Cluster.AdminKubeconfig(), multicluster.JoinOptions{Name: "member", Labels: map[string]string{"region": "eu"}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Detach(ctx, "member", true) })
	mcfg, err := clientcmd.BuildConfigFromFlags("", member.Cluster.AdminKubeconfig())
	if err != nil {
		t.Fatal(err)
	}
	mc, err := client.New(mcfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}

	app := create(t, multiClusterApp)
	got := waitFor(t, "mc", 2*time.Minute, "running", func(a *v1beta1.Application) bool { return a.Status.Phase == v1beta1.ApplicationRunning })
	wantReplicas(t, c, "default", 1)
	wantReplicas(t, mc, "edge", 3)
	if s := services(got); s != "mc-web@/default healthy; mc-web@member/edge healthy" {
		t.Errorf("status.services: %s", s)
	}
	if !tracked(t, "mc", "member", "edge") {
		t.Error("the ResourceTracker does not record the Deployment in cluster member")
	}

	t.Run("templates see context.cluster", func(t *testing.T) {
		def := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(clusterNoteDef), &def.Object); err != nil {
			t.Fatal(err)
		}
		if err := c.Create(ctx, def); err != nil {
			t.Fatal(err)
		}
		create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: mc-note}
spec:
  components: [{name: mc-note, type: cluster-note}]
  policies: [{name: everywhere, type: topology, properties: {clusters: [local, member]}}]
`)
		waitFor(t, "mc-note", 90*time.Second, "running", func(a *v1beta1.Application) bool { return a.Status.Phase == v1beta1.ApplicationRunning })
		for cl, want := range map[client.Client]string{c: "local", mc: "member"} {
			var cm corev1.ConfigMap
			if err := cl.Get(ctx, client.ObjectKey{Namespace: "default", Name: "mc-note"}, &cm); err != nil {
				t.Fatal(err)
			}
			if cm.Data["cluster"] != want {
				t.Errorf("context.cluster rendered %q in cluster %s", cm.Data["cluster"], want)
			}
		}
	})

	t.Run("apply-object and read-object reach the member", func(t *testing.T) {
		create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: mc-object}
spec:
  components: []
  workflow:
    steps:
    - name: put
      type: apply-object
      properties:
        cluster: member
        value: {apiVersion: v1, kind: ConfigMap, metadata: {name: mc-object, namespace: far}, data: {k: v}}
    - name: get
      type: read-object
      properties: {cluster: member, apiVersion: v1, kind: ConfigMap, name: mc-object, namespace: far}
`)
		waitFor(t, "mc-object", 90*time.Second, "running", func(a *v1beta1.Application) bool { return a.Status.Phase == v1beta1.ApplicationRunning })
		var cm corev1.ConfigMap
		if err := mc.Get(ctx, client.ObjectKey{Namespace: "far", Name: "mc-object"}, &cm); err != nil || cm.Data["k"] != "v" {
			t.Fatalf("ConfigMap in the member: %v %v", cm.Data, err)
		}
		if !tracked(t, "mc-object", "member", "far") {
			t.Error("the ResourceTracker does not record the ConfigMap in cluster member")
		}
	})

	t.Run("a member stopped during a deploy is waited for", func(t *testing.T) {
		member.Stop()
		setReplicas(t, app.Name, 2)
		waitFor(t, "mc", 90*time.Second, "waiting for the member", func(a *v1beta1.Application) bool {
			return strings.Contains(workflowSummary(a), `cluster \"member\" unreachable`)
		})
		member, err = testenv.StartChild(dir, port)
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "mc", 3*time.Minute, "running again", func(a *v1beta1.Application) bool {
			return a.Status.Phase == v1beta1.ApplicationRunning && a.Status.ObservedGeneration == a.Generation
		})
		wantReplicas(t, mc, "edge", 2)
	})

	t.Run("a refused credential names the cluster", func(t *testing.T) {
		bad := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "bad-token", Namespace: "vela-system", Labels: map[string]string{multicluster.LabelCredentialType: string(multicluster.CredentialToken)}},
			Data:       map[string][]byte{"endpoint": []byte(mcfg.Host), "ca.crt": mcfg.CAData, "token": []byte("not-a-token")},
		}
		if err := c.Create(ctx, bad); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Delete(ctx, bad) })
		create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: mc-bad}
spec:
  components: [{name: mc-bad-web, type: webservice, properties: {image: nginx}}]
  policies: [{name: there, type: topology, properties: {clusters: [bad-token]}}]
`)
		waitFor(t, "mc-bad", 90*time.Second, "failing on the credential", func(a *v1beta1.Application) bool {
			s := workflowSummary(a)
			return strings.Contains(s, `cluster \"bad-token\"`) && strings.Contains(s, "credential rejected")
		})
	})

	// Deleting while the member is down waits for it, saying so, and finishes once it is back.
	member.Stop()
	if err := c.Delete(ctx, app); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "mc", 90*time.Second, "waiting to delete in the member", func(a *v1beta1.Application) bool {
		for _, cond := range a.Status.Conditions {
			if strings.Contains(cond.Message, "in cluster member") && strings.Contains(cond.Message, "unreachable") {
				return a.Status.Phase == v1beta1.ApplicationDeleting
			}
		}
		return false
	})
	if member, err = testenv.StartChild(dir, port); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		errHub := c.Get(ctx, client.ObjectKey{Namespace: "default", Name: "mc-web"}, &appsv1.Deployment{})
		errMember := mc.Get(ctx, client.ObjectKey{Namespace: "edge", Name: "mc-web"}, &appsv1.Deployment{})
		if apierrors.IsNotFound(errHub) && apierrors.IsNotFound(errMember) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after delete: hub %v, member %v", errHub, errMember)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// clusterNoteDef renders a ConfigMap recording context.cluster.
const clusterNoteDef = `
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata: {name: cluster-note, namespace: vela-system}
spec:
  workload: {definition: {apiVersion: v1, kind: ConfigMap}}
  schematic:
    cue:
      template: |
        output: {
        	apiVersion: "v1"
        	kind:       "ConfigMap"
        	metadata: name: context.name
        	data: cluster: context.cluster
        }
        parameter: {}
`

func wantReplicas(t *testing.T, cl client.Client, ns string, n int32) {
	t.Helper()
	var d appsv1.Deployment
	if err := cl.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "mc-web"}, &d); err != nil {
		t.Fatalf("deployment %s/mc-web: %v", ns, err)
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != n {
		t.Fatalf("deployment %s/mc-web has %v replicas, want %d", ns, d.Spec.Replicas, n)
	}
}

func setReplicas(t *testing.T, name string, n int) {
	t.Helper()
	ctx := context.Background()
	var a v1beta1.Application
	if err := c.Get(ctx, client.ObjectKey{Namespace: "default", Name: name}, &a); err != nil {
		t.Fatal(err)
	}
	for i := range a.Spec.Policies {
		if a.Spec.Policies[i].Name == "override-member" {
			a.Spec.Policies[i].Properties = &runtime.RawExtension{Raw: []byte(fmt.Sprintf(
				`{"components":[{"name":"mc-web","traits":[{"type":"scaler","properties":{"replicas":%d}}]}]}`, n))}
		}
	}
	if err := c.Update(ctx, &a); err != nil {
		t.Fatal(err)
	}
}

func services(a *v1beta1.Application) string {
	var out []string
	for _, s := range a.Status.Services {
		h := "unhealthy"
		if s.Healthy {
			h = "healthy"
		}
		out = append(out, s.Name+"@"+s.Cluster+"/"+s.Namespace+" "+h)
	}
	return strings.Join(out, "; ")
}

// tracked reports whether app's trackers list its Deployment or ConfigMap in cluster/ns.
func tracked(t *testing.T, app, cluster, ns string) bool {
	t.Helper()
	var l v1beta1.ResourceTrackerList
	if err := c.List(context.Background(), &l, client.MatchingLabels{"app.oam.dev/name": app}); err != nil {
		t.Fatal(err)
	}
	for _, rt := range l.Items {
		for _, m := range rt.Spec.ManagedResources {
			if m.Cluster == cluster && m.Namespace == ns && (m.Kind == "Deployment" || m.Kind == "ConfigMap") {
				return true
			}
		}
	}
	return false
}

// replicaNoteDef renders a ConfigMap per replica, as KubeVela's replica-webservice names its Deployment.
const replicaNoteDef = `
apiVersion: core.oam.dev/v1beta1
kind: ComponentDefinition
metadata: {name: replica-note, namespace: vela-system}
spec:
  workload: {definition: {apiVersion: v1, kind: ConfigMap}}
  schematic:
    cue:
      template: |
        output: {
        	apiVersion: "v1"
        	kind:       "ConfigMap"
        	metadata: {
        		if context.replicaKey != _|_ {
        			name: context.name + "-" + context.replicaKey
        		}
        		if context.replicaKey == _|_ {
        			name: context.name
        		}
        	}
        	data: key: *"none" | string
        	if context.replicaKey != _|_ {
        		data: key: context.replicaKey
        	}
        }
        parameter: {}
`

// TestIntegrationReplicationPolicy splits one component into a replica per key
// (context.replicaKey), reports each in status.services, and stays running
// when its health is read again on a later reconcile.
func TestIntegrationReplicationPolicy(t *testing.T) {
	setup(t)
	ctx := context.Background()
	def := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(replicaNoteDef), &def.Object); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, def); err != nil {
		t.Fatal(err)
	}
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: rep}
spec:
  components:
  - {name: rep-note, type: replica-note}
  - {name: solo-note, type: replica-note}
  policies:
  - {name: here, type: topology, properties: {clusters: [local]}}
  - {name: two, type: replication, properties: {keys: [beijing, hangzhou], selector: [rep-note]}}
  workflow:
    steps:
    - {name: deploy-rep, type: deploy, properties: {policies: [here, two]}}
`)
	app := waitFor(t, "rep", 90*time.Second, "running", func(a *v1beta1.Application) bool { return a.Status.Phase == v1beta1.ApplicationRunning })
	for name, key := range map[string]string{"rep-note-beijing": "beijing", "rep-note-hangzhou": "hangzhou", "solo-note": "none"} {
		var cm corev1.ConfigMap
		if err := c.Get(ctx, client.ObjectKey{Namespace: "default", Name: name}, &cm); err != nil {
			t.Fatalf("replica %s: %v", name, err)
		}
		if cm.Data["key"] != key {
			t.Errorf("%s rendered replicaKey %q, want %q", name, cm.Data["key"], key)
		}
	}
	var reps []string
	for _, s := range app.Status.Services {
		reps = append(reps, s.Name+"/"+s.ReplicaKey)
	}
	if got := strings.Join(reps, " "); got != "rep-note/beijing rep-note/hangzhou solo-note/" {
		t.Errorf("status.services: %s", got)
	}
	// a later reconcile reads each replica's health again
	app.Annotations = map[string]string{"touch": "1"}
	if err := c.Update(ctx, app); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	waitFor(t, "rep", 30*time.Second, "still running", func(a *v1beta1.Application) bool {
		if a.Status.Phase != v1beta1.ApplicationRunning {
			return false
		}
		for _, s := range a.Status.Services {
			if !s.Healthy {
				return false
			}
		}
		return len(a.Status.Services) == 3
	})
}
