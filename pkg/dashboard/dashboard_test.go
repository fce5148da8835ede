package dashboard

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestListenFromSkipsATakenPort(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := busy.Addr().(*net.TCPAddr).Port
	ln, err := listenFrom(port)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := ln.Addr().(*net.TCPAddr).Port
	if got <= port || got >= port+portTries || !strings.HasPrefix(ln.Addr().String(), "127.0.0.1:") {
		t.Fatalf("listenFrom(%d) bound %s, want the next free port on 127.0.0.1", port, ln.Addr())
	}
}

func TestSyncRefusesABadPort(t *testing.T) {
	s := &serving{}
	for _, p := range []string{"web", "0", "70000"} {
		cm := &corev1.ConfigMap{Data: map[string]string{PortKey: p}}
		err := s.sync(context.Background(), cm)
		if err == nil || !strings.Contains(err.Error(), strconv.Quote(p)+" is not a port") || !strings.Contains(err.Error(), "vela addon enable velaux port=") {
			t.Errorf("port %q: %v, want an error saying how to fix it", p, err)
		}
	}
	if s.srv != nil {
		t.Fatal("a bad port must not start the server")
	}
}

func TestLocalHostOnlyRefusesOtherHosts(t *testing.T) {
	h := localHostOnly(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	for host, want := range map[string]int{
		"127.0.0.1:8000": http.StatusOK, "localhost:8000": http.StatusOK, "[::1]:8000": http.StatusOK,
		"localhost": http.StatusOK, "evil.example:8000": http.StatusForbidden, "10.0.0.5:8000": http.StatusForbidden,
	} {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/applications", nil)
		r.Host = host
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != want {
			t.Errorf("Host %s: status %d, want %d", host, w.Code, want)
		}
	}
}
