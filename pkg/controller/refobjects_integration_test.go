package controller_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

// A ref-objects component delivers copies of existing objects — by name, by
// label selector and from a manifest URL — here into another namespace.
func TestIntegrationRefObjectsCopiesExistingObjects(t *testing.T) {
	setup(t)
	ctx := context.Background()
	for _, cm := range []*corev1.ConfigMap{
		{ObjectMeta: metav1.ObjectMeta{Name: "ref-by-name", Namespace: "default"}, Data: map[string]string{"k": "named"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "ref-by-label-a", Namespace: "default", Labels: map[string]string{"ref": "yes"}}, Data: map[string]string{"k": "a"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "ref-by-label-b", Namespace: "default", Labels: map[string]string{"ref": "yes"}}, Data: map[string]string{"k": "b"}},
	} {
		if err := c.Create(ctx, cm); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ref-from-url}\ndata: {k: url}\n---\n")
	}))
	defer srv.Close()
	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: ref-copy}
spec:
  components:
  - name: copies
    type: ref-objects
    properties:
      objects:
      - {resource: configmap, name: ref-by-name}
      - {resource: configmaps, labelSelector: {ref: "yes"}}
      urls: [`+srv.URL+`/manifest.yaml]
  policies:
  - {name: elsewhere, type: topology, properties: {clusters: [local], namespace: ref-copies}}
  workflow:
    steps:
    - {name: deploy, type: deploy, properties: {policies: [elsewhere]}}
`)
	waitPhase(t, "ref-copy", v1beta1.ApplicationRunning)
	want := map[string]string{"ref-by-name": "named", "ref-by-label-a": "a", "ref-by-label-b": "b", "ref-from-url": "url"}
	for name, data := range want {
		var cm corev1.ConfigMap
		if err := c.Get(ctx, client.ObjectKey{Namespace: "ref-copies", Name: name}, &cm); err != nil {
			t.Errorf("copy of %s: %v", name, err)
			continue
		}
		if cm.Data["k"] != data || cm.Labels["app.oam.dev/name"] != "ref-copy" {
			t.Errorf("copy of %s: data %v labels %v", name, cm.Data, cm.Labels)
		}
	}

	create(t, `
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: ref-missing}
spec:
  components:
  - {name: gone, type: ref-objects, properties: {objects: [{resource: configmap, name: no-such-map}]}}
`)
	waitFor(t, "ref-missing", time.Minute, "a Render condition naming the missing object", func(a *v1beta1.Application) bool {
		for _, cond := range a.Status.Conditions {
			if cond.Type == v1beta1.ConditionRender && cond.Status == "False" &&
				strings.Contains(cond.Message, `component "gone"`) && strings.Contains(cond.Message, `ConfigMap "no-such-map" in namespace "default"`) {
				return true
			}
		}
		return false
	})
}
