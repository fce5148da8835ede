package main

import (
	"context"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

var (
	deploymentsGVR = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	servicesGVR    = schema.GroupVersionResource{Version: "v1", Resource: "services"}
)

// applyRendered server-side applies, for each of the n benchmark Applications, the Deployment
// and Service velad renders for it (`vela dry-run` of app(i): webservice, scaler 1, labels),
// with velad's labels and one field manager, as the controller applies them.
func applyRendered(ctx context.Context, dyn dynamic.Interface, n int) error {
	return parallel(n, func(i int) error {
		name := fmt.Sprintf("bench-%04d", i)
		for _, o := range rendered(name) {
			data, err := json.Marshal(o)
			if err != nil {
				return err
			}
			gvr := deploymentsGVR
			if o["kind"] == "Service" {
				gvr = servicesGVR
			}
			force := true
			if _, err := dyn.Resource(gvr).Namespace("default").Patch(ctx, name, types.ApplyPatchType, data,
				metav1.PatchOptions{FieldManager: "velad-bench", Force: &force}); err != nil {
				return fmt.Errorf("apply %s %s: %w", o["kind"], name, err)
			}
		}
		return nil
	})
}

// rendered is the Deployment and Service of the benchmark Application name.
func rendered(name string) []map[string]any {
	labels := func(resourceType string, extra map[string]any) map[string]any {
		l := map[string]any{"app.oam.dev/appRevision": name + "-v1", "app.oam.dev/component": name, "app.oam.dev/name": name,
			"app.oam.dev/namespace": "default", "app.oam.dev/resourceType": resourceType}
		for k, v := range extra {
			l[k] = v
		}
		return l
	}
	port := map[string]any{"name": "port-80", "port": int64(80), "protocol": "TCP", "targetPort": int64(80)}
	return []map[string]any{{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": name, "labels": labels("WORKLOAD", map[string]any{"bench": "apps", "workload.oam.dev/type": "webservice"})},
		"spec": map[string]any{
			"replicas": int64(1),
			"selector": map[string]any{"matchLabels": map[string]any{"app.oam.dev/component": name}},
			"template": map[string]any{
				"metadata": map[string]any{"labels": map[string]any{"app.oam.dev/component": name, "app.oam.dev/name": name, "bench": "apps"}},
				"spec": map[string]any{"containers": []any{map[string]any{"name": name, "image": "nginx",
					"ports": []any{map[string]any{"containerPort": int64(80), "name": "port-80", "protocol": "TCP"}}}}},
			},
		},
	}, {
		"apiVersion": "v1", "kind": "Service",
		"metadata": map[string]any{"name": name, "labels": labels("TRAIT", map[string]any{"trait.oam.dev/resource": "webserviceExpose", "trait.oam.dev/type": "AuxiliaryWorkload"})},
		"spec":     map[string]any{"ports": []any{port}, "selector": map[string]any{"app.oam.dev/component": name}, "type": "ClusterIP"},
	}}
}

// waitAllReady returns once the n benchmark Deployments are ready: every replica updated,
// ready and available for the current generation, what velad's webservice health asks.
func waitAllReady(ctx context.Context, dyn dynamic.Interface, n int) error {
	return waitAll(ctx, dyn.Resource(deploymentsGVR).Namespace("default"), n, deploymentReady, "ready")
}

// deploymentReady tells whether the Deployment d has rolled out its replicas.
func deploymentReady(d *unstructured.Unstructured) bool {
	want, _, _ := unstructured.NestedInt64(d.Object, "spec", "replicas")
	status := func(k string) int64 { v, _, _ := unstructured.NestedInt64(d.Object, "status", k); return v }
	return status("observedGeneration") >= d.GetGeneration() && status("updatedReplicas") == want &&
		status("readyReplicas") == want && status("availableReplicas") == want
}
