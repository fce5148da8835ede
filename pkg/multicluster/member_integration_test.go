package multicluster_test

import (
	"flag"
	"os"
	"testing"

	"velad.io/velad/pkg/testenv"
)

// The hub is this process's testenv; a member is this test binary re-executed as a bare
// server with no controllers (what velad install --cluster-only runs): testenv.StartChild.

var env *testenv.Env

func TestMain(m *testing.M) {
	testenv.RunChildIfRequested()
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run())
	}
	os.Exit(testenv.Run(m, &env))
}

// startMember boots a member cluster and returns once it is ready; it is stopped at cleanup.
func startMember(t *testing.T) *testenv.Child {
	t.Helper()
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	m, err := testenv.StartChild(t.TempDir(), port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m
}
