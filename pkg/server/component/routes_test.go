package component_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"k8s.io/client-go/rest"
)

// kube-apiserver's routes match as upstream's although velad's go-restful
// (third_party/go-restful) compiles a route's regular expression only when a router
// asks for it: the CurlyRouter the API server uses matches path tokens, so a path
// parameter still reaches its handler, a subresource and a {path:*} route still
// resolve, a method a path does not serve is 405, a path no route serves is 404.
func TestAPIServerRoutesMatch(t *testing.T) {
	hc, err := rest.HTTPClientFor(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, body string) (int, map[string]any) {
		t.Helper()
		req, err := http.NewRequest(method, env.Config.Host+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]any
		_ = json.Unmarshal(data, &obj)
		return resp.StatusCode, obj
	}
	name := func(obj map[string]any) string {
		md, _ := obj["metadata"].(map[string]any)
		n, _ := md["name"].(string)
		return n
	}

	cm := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"routes"},"data":{"k":"v"}}`
	if code, obj := do(http.MethodPost, "/api/v1/namespaces/default/configmaps", cm); code != http.StatusCreated || name(obj) != "routes" {
		t.Fatalf("create configmap: %d %v", code, obj)
	}
	for _, c := range []struct {
		method, path string
		code         int
		name, kind   string
	}{
		{http.MethodGet, "/api/v1/namespaces/default", 200, "default", "Namespace"},
		{http.MethodGet, "/api/v1/namespaces/default/configmaps/routes", 200, "routes", "ConfigMap"},
		{http.MethodGet, "/api/v1/namespaces/default/status", 200, "default", "Namespace"},
		{http.MethodGet, "/apis/apps/v1/namespaces/default/deployments", 200, "", "DeploymentList"},
		{http.MethodGet, "/api/v1/namespaces/default/configmaps/absent", 404, "", "Status"},
		{http.MethodPost, "/api/v1/namespaces/default/configmaps/routes", 405, "", "Status"},
		{http.MethodGet, "/api/v1/namespaces/default/configmaps/routes/extra", 404, "", "Status"},
		{http.MethodGet, "/api/v1/no-such-resource", 404, "", ""},
		// A {path:*} route: the proxy to a service without endpoints is 503, not 404.
		{http.MethodGet, "/api/v1/namespaces/default/services/kubernetes:https/proxy/a/b", 503, "", ""},
	} {
		code, obj := do(c.method, c.path, "")
		if code != c.code {
			t.Errorf("%s %s: %d, want %d (%v)", c.method, c.path, code, c.code, obj)
			continue
		}
		if c.name != "" && name(obj) != c.name {
			t.Errorf("%s %s: object %q, want %q", c.method, c.path, name(obj), c.name)
		}
		if kind, _ := obj["kind"].(string); c.kind != "" && kind != c.kind {
			t.Errorf("%s %s: kind %q, want %q", c.method, c.path, kind, c.kind)
		}
	}
}
