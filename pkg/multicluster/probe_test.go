package multicluster

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"
)

func TestProbeReadyz(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		wantErr string
	}{
		{name: "ready", handler: func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/readyz" {
				http.NotFound(w, r)
				return
			}
			_, _ = w.Write([]byte("ok"))
		}},
		{name: "bad credential", handler: func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusUnauthorized) },
			wantErr: "credential rejected (HTTP 401)"},
		{name: "not ready", handler: func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "[-]etcd failed", http.StatusInternalServerError)
		},
			wantErr: "/readyz answered HTTP 500: [-]etcd failed"},
		{name: "hangs", handler: func(_ http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, wantErr: "no answer within 200ms: probe timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewTLSServer(tt.handler)
			defer srv.Close()
			err := ProbeReadyz(200*time.Millisecond)(context.Background(), &rest.Config{Host: srv.URL, TLSClientConfig: rest.TLSClientConfig{Insecure: true}})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			t.Log(err)
			if strings.Contains(err.Error(), "Get \"") {
				t.Fatalf("err repeats the request: %v", err)
			}
		})
	}
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	err := ProbeReadyz(time.Second)(context.Background(), &rest.Config{Host: url, TLSClientConfig: rest.TLSClientConfig{Insecure: true}})
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("closed server: err = %v", err)
	}
}
