package addon_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"velad.io/velad/pkg/addon"
	"velad.io/velad/pkg/dashboard"
	"velad.io/velad/pkg/testenv"
)

// TestIntegrationVelauxServesTheDashboard enables velaux on a free port: its Application
// delivers the dashboard ConfigMap through the controller, the embedded dashboard serves
// the page and the JSON listing the Applications, status prints the URL, and disabling
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
	if page := get(t, st.URL+"/"); !strings.Contains(page, "velad dashboard") {
		t.Fatalf("the page is not served: %.200s", page)
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
