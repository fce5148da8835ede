package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// demoApp is the demo application: one webservice delivered to the hub
// and to sub-cluster, with replicas overridden per cluster.
const demoApp = `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata:
  name: app
spec:
  components:
    - name: hello
      type: webservice
      properties:
        image: oamdev/hello-world
        ports:
          - port: 8000
  policies:
    - name: topology-local
      type: topology
      properties:
        clusters: ["local"]
    - name: topology-sub
      type: topology
      properties:
        clusters: ["sub-cluster"]
    - name: override-local
      type: override
      properties:
        components:
          - name: hello
            traits:
              - type: scaler
                properties:
                  replicas: 1
    - name: override-sub
      type: override
      properties:
        components:
          - name: hello
            traits:
              - type: scaler
                properties:
                  replicas: 3
  workflow:
    steps:
      - name: deploy-local
        type: deploy
        properties:
          policies: ["topology-local", "override-local"]
      - name: deploy-sub
        type: deploy
        properties:
          policies: ["topology-sub", "override-sub"]
`

// TestMultiClusterDemo runs the demo verbatim in a shell, with velad and vela on
// PATH and a temporary VELAD_HOME: a hub, a --cluster-only member joined by its internal
// kubeconfig, one Application delivered to both with per-cluster replicas, then deleted.
func TestMultiClusterDemo(t *testing.T) {
	h := newHost(t)
	t.Cleanup(func() { _, _ = h.run("uninstall", "--name", "sub-cluster") })
	bin := t.TempDir()
	for _, name := range []string{"velad", "vela"} {
		if err := os.Symlink(veladBin, filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	work := t.TempDir()
	if err := os.WriteFile(filepath.Join(work, "app.yaml"), []byte(demoApp), 0o600); err != nil {
		t.Fatal(err)
	}
	sh := func(script string) (string, error) {
		cmd := exec.Command("sh", "-ec", script)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "VELAD_HOME="+h.home, "KUBECONFIG=", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	mustSh := func(script string) string {
		t.Helper()
		out, err := sh(script)
		if err != nil {
			t.Fatalf("%s: %v\n%s", script, err, out)
		}
		return out
	}

	// `velad install` picks a real node where the host can run containers (auto). Offline,
	// the demo's image comes from a registry mirror (registries.yaml) serving velad's hello.
	mirror := serveRegistry(t, "oamdev/hello-world")
	if err := os.MkdirAll(filepath.Join(h.home, "default"), 0o700); err != nil {
		t.Fatal(err)
	}
	registries := "mirrors:\n  docker.io:\n    endpoint: [\"http://" + mirror + "\"]\n"
	if err := os.WriteFile(filepath.Join(h.home, "default", "registries.yaml"), []byte(registries), 0o600); err != nil {
		t.Fatal(err)
	}
	mustSh(`velad install`)
	mustSh(`velad install --name sub-cluster --cluster-only`)
	for _, st := range h.status() {
		t.Logf("cluster %s: node %s (%s)", st.Name, st.Node, st.NodeMode)
		if st.Name == "sub-cluster" && !strings.Contains(st.NodeMode, "simulated") {
			t.Errorf("the --cluster-only member's node is %q, want simulated by default", st.NodeMode)
		}
	}
	mustSh(`vela cluster join $(velad kubeconfig --name sub-cluster --internal) --name sub-cluster`)
	mustSh(`vela up -f app.yaml`)
	poll(t, "vela status app running in both clusters", 3*time.Minute, 2*time.Second, func() error {
		status := mustSh(`vela status app`)
		if strings.Contains(status, "running") && strings.Contains(status, "Cluster: sub-cluster") && strings.Contains(status, "Cluster: local") {
			return nil
		}
		return fmt.Errorf("vela status app:\n%s", status)
	})
	tree := mustSh(`vela status app --tree`)
	if !strings.Contains(tree, "sub-cluster") || !strings.Contains(tree, "local") {
		t.Errorf("vela status app --tree does not show both clusters:\n%s", tree)
	}
	replicas := func(cluster string) string {
		return strings.TrimSpace(mustSh(`velad kubectl --kubeconfig $(velad kubeconfig --name ` + cluster + `) get deployment hello -o jsonpath={.spec.replicas}`))
	}
	if got := replicas("default"); got != "1" {
		t.Errorf("hub deployment hello has %s replicas, want 1", got)
	}
	if got := replicas("sub-cluster"); got != "3" {
		t.Errorf("sub-cluster deployment hello has %s replicas, want 3", got)
	}
	if out, err := sh(`vela cluster detach sub-cluster`); err == nil || !strings.Contains(out, "--force") {
		t.Errorf("vela cluster detach while app uses it: %v\n%s", err, out)
	}

	mustSh(`echo y | vela delete app`) // the demo answers its question
	for _, cluster := range []string{"default", "sub-cluster"} {
		poll(t, "deployment hello gone from cluster "+cluster+" after vela delete", time.Minute, time.Second, func() error {
			out, err := sh(`velad kubectl --kubeconfig $(velad kubeconfig --name ` + cluster + `) get deployment hello`)
			if err != nil && strings.Contains(out, "NotFound") {
				return nil
			}
			return fmt.Errorf("%v\n%s", err, out)
		})
	}
	mustSh(`vela cluster detach sub-cluster`)
}
