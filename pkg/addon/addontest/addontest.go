// Package addontest serves addon registries to tests over real HTTP.
package addontest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// ServeHelmRegistry serves dir (packages and index.yaml, see addon.WriteIndex) over HTTP
// behind basic auth with user and password, until the test ends; it returns the URL.
func ServeHelmRegistry(t testing.TB, dir, user, password string) string {
	t.Helper()
	files := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != password {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		files.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
