package addon_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"velad.io/velad/pkg/addon"
	"velad.io/velad/pkg/dashboard"
	"velad.io/velad/pkg/testenv"
	"velad.io/velad/pkg/velaql"
)

// TestIntegrationVelauxServesTheDashboard enables velaux on a free port: its Application
// delivers the dashboard ConfigMap through the controller, the embedded dashboard serves
// the page, the JSON listing the Applications and VelaQL query results, status prints the
// URL, and disabling
// stops the server.
func TestIntegrationVelauxServesTheDashboard(t *testing.T) {
	h := newHarness(t)
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	h.enable("velaux", addon.EnableOptions{Parameters: map[string]any{"port": port}, Timeout: 2 * time.Minute})
	if !h.exists(&corev1.ConfigMap{}, addon.Namespace, dashboard.ConfigName) {
		t.Fatalf("the velaux Application did not deliver configmap %s", dashboard.ConfigName)
	}
	var st *addon.Status
	h.eventually("vela addon status velaux shows the URL", func() bool {
		st, err = h.m.Status(h.ctx, "velaux")
		return err == nil && st.URL != ""
	})
	if want := fmt.Sprintf("http://127.0.0.1:%d", port); st.URL != want {
		t.Fatalf("status URL = %q, want %q", st.URL, want)
	}

	var list struct {
		Applications []dashboard.App `json:"applications"`
	}
	getJSON(t, st.URL+"/api/v1/applications", &list)
	var found *dashboard.App
	for i, a := range list.Applications {
		if a.Namespace == addon.Namespace && a.Name == addon.AppName("velaux") {
			found = &list.Applications[i]
		}
	}
	if found == nil || found.Addon != "velaux" || found.Phase != "running" || strings.Join(found.Clusters, ",") != "local" {
		t.Fatalf("applications = %+v, want addon-velaux running in local", list.Applications)
	}
	var detail dashboard.App
	getJSON(t, st.URL+"/api/v1/applications/vela-system/addon-velaux", &detail)
	if len(detail.Resources) != 1 || detail.Resources[0].Kind != "ConfigMap" || detail.Resources[0].Name != dashboard.ConfigName {
		t.Fatalf("resources of addon-velaux = %+v, want the dashboard configmap", detail.Resources)
	}
	var addons struct {
		Addons []addon.Item `json:"addons"`
	}
	getJSON(t, st.URL+"/api/v1/addons", &addons)
	enabled := ""
	for _, a := range addons.Addons {
		if a.State == addon.StateEnabled {
			enabled += a.Name + " "
		}
	}
	if !strings.Contains(enabled, "velaux") {
		t.Fatalf("addons endpoint: enabled = %q, want velaux among them", enabled)
	}
	// The dashboard keeps its addon manager between requests, but a registry added or
	// deleted shows in the next listing.
	listed := func() string {
		var addons struct {
			Addons []addon.Item `json:"addons"`
		}
		getJSON(t, st.URL+"/api/v1/addons", &addons)
		names := ""
		for _, a := range addons.Addons {
			names += a.Name + "@" + a.Registry + " "
		}
		return names
	}
	dir := t.TempDir()
	writeAddon(t, dir, "it-dash-registry", map[string]string{"metadata.yaml": "name: it-dash-registry\nversion: 1.0.0\ndescription: added later\n"})
	if err := h.m.AddRegistry(h.ctx, addon.RegistrySpec{Name: "it-dash", Endpoint: dir}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.m.DeleteRegistry(context.Background(), "it-dash") })
	if names := listed(); !strings.Contains(names, "it-dash-registry@it-dash ") {
		t.Fatalf("after adding registry it-dash, addons = %s", names)
	}
	if err := h.m.DeleteRegistry(h.ctx, "it-dash"); err != nil {
		t.Fatal(err)
	}
	if names := listed(); strings.Contains(names, "it-dash-registry") {
		t.Fatalf("after deleting registry it-dash, addons = %s", names)
	}
	if page := get(t, st.URL+"/"); !strings.Contains(page, "velad dashboard") {
		t.Fatalf("the page is not served: %.200s", page)
	}
	view, err := velaql.ViewConfigMap("app-phase", `import "vela/ql"
parameter: {name: string, namespace: *"vela-system" | string}
app: ql.#Read & {value: {apiVersion: "core.oam.dev/v1beta1", kind: "Application", metadata: {name: parameter.name, namespace: parameter.namespace}}}
status: app.value.status.status
`)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.c.Create(h.ctx, view); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.c.Delete(context.Background(), view) })
	var phase string
	getJSON(t, st.URL+"/api/v1/query?velaql="+url.QueryEscape("app-phase{name=addon-velaux}"), &phase)
	if phase != "running" {
		t.Fatalf("velaql app-phase{name=addon-velaux} = %q, want running", phase)
	}
	objects, err := velaql.ViewConfigMap("app-objects", `import "vela/ql"
parameter: {name: string}
res: ql.#ListResourcesInApp & {app: {name: parameter.name, namespace: "vela-system", filter: components: ["velaux-dashboard"]}}
status: [for r in res.list {r.cluster + "/" + r.object.kind + "/" + r.object.metadata.name}]
`)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.c.Create(h.ctx, objects); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.c.Delete(context.Background(), objects) })
	var names []string
	getJSON(t, st.URL+"/api/v1/query?velaql="+url.QueryEscape("app-objects{name=addon-velaux}"), &names)
	if strings.Join(names, ",") != "local/ConfigMap/"+dashboard.ConfigName {
		t.Fatalf("velaql app-objects{name=addon-velaux} = %v, want the dashboard configmap", names)
	}
	for q, code := range map[string]int{"no-such-view{a=1}": http.StatusNotFound, "Bad{": http.StatusBadRequest} {
		resp, err := http.Get(st.URL + "/api/v1/query?velaql=" + url.QueryEscape(q))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != code {
			t.Errorf("query %s answers %d, want %d", q, resp.StatusCode, code)
		}
	}
	resp, err := http.Get(st.URL + "/api/v1/applications/default/no-such-app")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a missing application answers %d, want 404", resp.StatusCode)
	}

	if err := h.m.Disable(h.ctx, "velaux", addon.DisableOptions{Timeout: 2 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	h.eventually("the dashboard stops serving", func() bool {
		resp, err := http.Get(st.URL + "/api/v1/applications")
		if err != nil {
			return true
		}
		resp.Body.Close()
		return false
	})
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return string(body)
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	if err := json.Unmarshal([]byte(get(t, url)), out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
