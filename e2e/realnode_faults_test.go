package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/v2/client"

	"velad.io/velad/pkg/agent/images"
	"velad.io/velad/pkg/server/config"
)

// faultApps are three Applications on a real node: one that serves, one whose container
// exits at once, one whose image exists nowhere.
const faultApps = `apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: hello}
spec:
  components:
    - name: hello
      type: webservice
      properties:
        image: velad.local/hello:v1
        ports: [{port: 8080, expose: true}]
---
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: crasher}
spec:
  components:
    - name: crasher
      type: webservice
      properties:
        image: velad.local/hello:v1
        cmd: ["/velad", "no-such-command"]
---
apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: missing}
spec:
  components:
    - name: missing
      type: webservice
      properties:
        image: velad.local/missing:v1
`

// TestRealNodeFaults runs Applications on a real node (full install: delivery controller
// too): a crashing container restarts with back-off and `vela status` says why; a missing
// image gives ImagePullBackOff and a hint to `velad image import`; vela logs / exec /
// port-forward reach the serving app's pod; kill -9 of the server leaves the containers
// running and the restarted server adopts them (the same containerd containers, none
// added); uninstall leaves nothing.
func TestRealNodeFaults(t *testing.T) {
	h := newHost(t)
	foreign := foreignRules(t)
	out, err := h.run("install", "--name", "e2e", "--node", "real", "--port", strconv.Itoa(freePort(t)))
	skipWithoutContainers(t, "REAL NODE", out, err)
	if err != nil {
		t.Fatalf("velad install --node real: %v\n%s", err, out)
	}
	dataDir := filepath.Join(h.home, "e2e")
	runDir := (&config.Config{DataDir: dataDir}).AgentRunDir()
	kc := strings.TrimSpace(h.must("kubeconfig", "--name", "e2e"))
	vela := filepath.Join(t.TempDir(), "vela")
	if err := os.Symlink(veladBin, vela); err != nil {
		t.Fatal(err)
	}
	runVela := func(args ...string) (string, error) {
		return h.runAsEnv(vela, []string{"KUBECONFIG=" + kc}, args...)
	}
	if out, err := runVela("up", "-f", writeTemp(t, "apps.yaml", faultApps)); err != nil {
		t.Fatalf("vela up: %v\n%s", err, out)
	}
	waitStatus := func(app string, want ...string) string {
		t.Helper()
		var out string
		poll(t, fmt.Sprintf("vela status %s showing %q", app, want), 3*time.Minute, 2*time.Second, func() error {
			out, _ = runVela("status", app)
			for _, w := range want {
				if !strings.Contains(out, w) {
					return fmt.Errorf("it shows:\n%s", out)
				}
			}
			return nil
		})
		return out
	}
	waitStatus("hello", "running", "Healthy")
	crash := waitStatus("crasher", "Unhealthy", "CrashLoopBackOff", "restarted")
	t.Logf("vela status crasher:\n%s", crash)
	missing := waitStatus("missing", "Unhealthy", "velad.local/missing:v1", "velad image import")
	if !strings.Contains(missing, "ImagePullBackOff") && !strings.Contains(missing, "ErrImagePull") {
		t.Errorf("vela status missing names no image pull error:\n%s", missing)
	}
	t.Logf("vela status missing:\n%s", missing)

	// vela logs / exec / port-forward against the real pod.
	if out, err := runVela("logs", "hello"); err != nil || !strings.Contains(out, "hello: listening on :8080") {
		t.Errorf("vela logs hello: %v\n%s", err, out)
	}
	if out, err := runVela("exec", "hello", "--", "/velad", "version"); err != nil || !strings.Contains(out, "Kubernetes: v1") {
		t.Errorf("vela exec hello -- /velad version: %v\n%s", err, out)
	}
	local := freePort(t)
	pf := exec.Command(vela, "port-forward", "hello", fmt.Sprintf("%d:8080", local))
	pf.Env = append(os.Environ(), "VELAD_HOME="+h.home, "KUBECONFIG="+kc)
	pf.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := pf.Start(); err != nil {
		t.Fatal(err)
	}
	body := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/pf", local))
	_ = syscall.Kill(-pf.Process.Pid, syscall.SIGTERM)
	_ = pf.Wait()
	if !strings.Contains(body, "path /pf") {
		t.Errorf("through vela port-forward, hello answered %q", body)
	}

	// kill -9: the containers keep running and are adopted, not created again.
	socket := filepath.Join(runDir, "containerd.sock")
	before := containers(t, socket)
	killServer(t, dataDir)
	if countHello() == 0 {
		t.Errorf("no hello container process survived the kill -9 of the server")
	}
	h.waitReady("e2e", 2*time.Minute)
	waitStatus("hello", "running", "Healthy")
	time.Sleep(5 * time.Second) // a kubelet that did not adopt would be creating sandboxes by now
	after := containers(t, socket)
	if !sameRunning(before, after) {
		t.Errorf("containerd containers changed across kill -9 and restart:\nbefore %v\nafter  %v", before, after)
	}
	if out, err := runVela("exec", "hello", "--", "/velad", "version"); err != nil {
		t.Errorf("vela exec after restart: %v\n%s", err, out)
	}

	if out, err := h.run("uninstall", "--name", "e2e"); err != nil {
		t.Fatalf("uninstall: %v\n%s", err, out)
	}
	foreign.assertKeptAndRemove(t)
	assertNoRealNodeLeft(t, dataDir, runDir)
}

// foreign are iptables rules of the host's own, made before install, that uninstall must
// keep: a chain of the host's and one of another CNI network, with their jumps.
type foreign [][]string

// foreignRules creates the foreign rules (removed again by t's cleanup, in any case).
func foreignRules(t *testing.T) foreign {
	t.Helper()
	f := foreign{
		{"-t", "nat", "-N", "CNI-E2EFOREIGN"},
		{"-t", "nat", "-A", "CNI-E2EFOREIGN", "-d", "10.199.0.0/16", "-m", "comment", "--comment", `name: "other-net" id: "e2e"`, "-j", "ACCEPT"},
		{"-t", "nat", "-A", "POSTROUTING", "-s", "10.199.0.5/32", "-m", "comment", "--comment", `name: "other-net" id: "e2e"`, "-j", "CNI-E2EFOREIGN"},
		{"-N", "E2E-HOST-OWN"},
		{"-A", "E2E-HOST-OWN", "-s", "192.0.2.0/24", "-j", "RETURN"},
	}
	for _, args := range f {
		if out, err := exec.Command("iptables", args...).CombinedOutput(); err != nil {
			t.Fatalf("iptables %v: %v\n%s", args, err, out)
		}
	}
	t.Cleanup(func() { f.remove() })
	return f
}

// assertKeptAndRemove checks every foreign rule is still there, then removes them.
func (f foreign) assertKeptAndRemove(t *testing.T) {
	t.Helper()
	for _, args := range f {
		if args[len(args)-2] == "-N" || args[0] == "-N" {
			continue
		}
		check := append([]string{}, args...)
		for i, a := range check {
			if a == "-A" {
				check[i] = "-C"
			}
		}
		if out, err := exec.Command("iptables", check...).CombinedOutput(); err != nil {
			t.Errorf("uninstall removed a rule velad did not create: iptables %v: %v %s", args, err, out)
		}
	}
	f.remove()
}

// remove deletes the foreign rules and chains, whatever is left of them.
func (f foreign) remove() {
	for i := len(f) - 1; i >= 0; i-- {
		args := append([]string{}, f[i]...)
		for j, a := range args {
			switch a {
			case "-A":
				args[j] = "-D"
			case "-N":
				args[j] = "-X"
			}
		}
		_ = exec.Command("iptables", args...).Run()
	}
}

// containers lists the node's containerd containers (sandboxes included) as "id status".
func containers(t *testing.T, socket string) []string {
	t.Helper()
	c, err := client.New(socket, client.WithDefaultNamespace(images.Namespace))
	if err != nil {
		t.Fatalf("connecting to containerd: %v", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	list, err := c.Containers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ctr := range list {
		state := "no-task"
		if task, err := ctr.Task(ctx, nil); err == nil {
			if st, err := task.Status(ctx); err == nil {
				state = string(st.Status)
			}
		}
		out = append(out, ctr.ID()+" "+state)
	}
	sort.Strings(out)
	return out
}

// sameRunning reports whether every container running before still runs after, and after
// has no container that before lacked, except the crashing app's restarts (whose
// containers come and go by design): only running ones are compared.
func sameRunning(before, after []string) bool {
	running := func(list []string) map[string]bool {
		m := map[string]bool{}
		for _, s := range list {
			if strings.HasSuffix(s, " running") {
				m[strings.TrimSuffix(s, " running")] = true
			}
		}
		return m
	}
	b, a := running(before), running(after)
	if len(b) == 0 || len(b) != len(a) {
		return false
	}
	for id := range b {
		if !a[id] {
			return false
		}
	}
	return true
}

// countHello counts the processes running the hello image's entrypoint.
func countHello() int {
	n := 0
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline")); err == nil && strings.HasPrefix(string(data), "/velad\x00hello") {
			n++
		}
	}
	return n
}
