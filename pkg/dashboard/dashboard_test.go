package dashboard

import (
	"context"
	"net"
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
