package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"velad.io/velad/pkg/proc"
	"velad.io/velad/pkg/server/config"
)

const helloPod = `apiVersion: v1
kind: Pod
metadata: {name: hello, labels: {app: hello}}
spec:
  containers:
  - name: hello
    image: velad.local/hello:v1
    ports: [{containerPort: 8080}]
    readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: hello-svc}
spec:
  selector: {app: hello}
  ports: [{port: 80, targetPort: 8080}]
`

// TestRealNode installs a cluster with a real node (kubelet + containerd), runs the built-in
// hello image, gets its HTTP answer on the pod IP and through its Service's cluster IP
// (kube-proxy), resolves the Service's name in the pod (cluster DNS), survives a kill -9 of
// the server with its pod adopted, and uninstalls, leaving no processes,
// mounts, interfaces or iptables rules. Where the host cannot run containers it says so
// loudly and skips: it never passes without running a container.
func TestRealNode(t *testing.T) {
	h := newHost(t)
	start := time.Now()
	out, err := h.run("install", "--name", "e2e", "--node", "real", "--cluster-only", "--port", strconv.Itoa(freePort(t)))
	skipWithoutContainers(t, "REAL NODE", out, err)
	if err != nil {
		t.Fatalf("velad install --node real: %v\n%s", err, out)
	}
	t.Logf("install → node Ready: %s", time.Since(start).Round(time.Millisecond))
	dataDir := filepath.Join(h.home, "e2e")
	runDir := (&config.Config{DataDir: dataDir}).AgentRunDir()
	kubectl := h.kubectlOf("e2e")
	if st := h.status(); len(st) != 1 || !strings.Contains(st[0].Node, "real") {
		t.Fatalf("status does not show a real node: %+v", st)
	}
	if out := h.must("image", "ls", "--name", "e2e"); !strings.Contains(out, "velad.local/hello:v1") || !strings.Contains(out, "velad.local/pause:v1") {
		t.Fatalf("velad image ls lacks the built-in images:\n%s", out)
	}

	podStart := time.Now()
	if out, err := kubectl("apply", "-f", writeTemp(t, "hello.yaml", helloPod)); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	podIP := waitPodReady(t, kubectl, "hello", "")
	t.Logf("hello pod Running and Ready: %s", time.Since(podStart).Round(time.Millisecond))
	body := httpGet(t, "http://"+podIP+":8080/e2e")
	if !strings.Contains(body, "Hello from velad!") || !strings.Contains(body, "path /e2e") {
		t.Fatalf("hello answered %q", body)
	}
	clusterIP, err := kubectl("get", "service", "hello-svc", "-o", "jsonpath={.spec.clusterIP}")
	if err != nil {
		t.Fatalf("service: %v\n%s", err, clusterIP)
	}
	clusterIP = strings.TrimSpace(clusterIP)
	waitServiceAnswers(t, kubectl, "hello-svc", clusterIP+":80", podIP+":8080", "/svc", "path /svc")
	for _, name := range []string{"hello-svc", "hello-svc.default.svc.cluster.local"} {
		if got := httpGet(t, "http://"+podIP+":8080/lookup/"+name); strings.TrimSpace(got) != strings.TrimSpace(clusterIP) {
			t.Fatalf("in the pod, %s resolved to %q, want the Service's cluster IP %s (cluster DNS)", name, got, clusterIP)
		}
	}

	// kill -9 of the server (containerd dies with it; the supervisor restarts both): the
	// running pod is adopted, not started again.
	before, _ := kubectl("get", "pod", "hello", "-o", "jsonpath={.status.containerStatuses[0].containerID}")
	killServer(t, dataDir)
	h.waitReady("e2e", 2*time.Minute)
	after, _ := kubectl("get", "pod", "hello", "-o", "jsonpath={.status.containerStatuses[0].containerID} {.status.containerStatuses[0].restartCount}")
	if after != before+" 0" {
		t.Fatalf("after kill -9 and restart the hello container is %q, want %q (adopted, not restarted)", after, before+" 0")
	}
	if n := len(proc.WithArg("hello")); n != 1 {
		t.Errorf("after restart %d processes run `velad hello`, want 1", n)
	}
	if body := httpGet(t, "http://"+podIP+":8080/again"); !strings.Contains(body, "path /again") {
		t.Fatalf("hello after restart answered %q", body)
	}

	if out, err := h.run("uninstall", "--name", "e2e"); err != nil {
		t.Fatalf("uninstall: %v\n%s", err, out)
	}
	assertNoRealNodeLeft(t, dataDir, runDir)
}

// skipWithoutContainers skips t, loudly (in its output and on stderr), when a velad command
// failed because the host cannot run containers: what goes untested is never a silent pass.
func skipWithoutContainers(t *testing.T, what, out string, err error) {
	t.Helper()
	if err == nil || !strings.Contains(out, "cannot run containers") {
		return
	}
	msg := what + " NOT TESTED: this host cannot run containers: " + strings.TrimSpace(out)
	fmt.Fprintln(os.Stderr, "\n!!!!! "+msg+" !!!!!")
	t.Skip(msg)
}

// httpGet GETs url, trying again for a while while the connection fails.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	var body string
	poll(t, "GET "+url, 5*time.Second, 250*time.Millisecond, func() (err error) {
		body, err = getOnce(url)
		return err
	})
	return body
}

// getOnce GETs url once: the body, or why there is none.
func getOnce(url string) (string, error) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// waitPodReady waits up to a minute for the pod's container to be Ready (on node, when not
// empty) and returns the pod's IP; it fails with kubectl describe of the pod.
func waitPodReady(t *testing.T, kubectl func(...string) (string, error), pod, node string) string {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		out, _ := kubectl("get", "pod", pod, "-o", "jsonpath={.status.containerStatuses[0].ready} {.spec.nodeName} {.status.podIP}")
		if f := strings.Fields(out); len(f) == 3 && f[0] == "true" && (node == "" || f[1] == node) {
			return f[2]
		}
		if time.Now().After(deadline) {
			desc, _ := kubectl("describe", "pod", pod)
			t.Fatalf("pod %s not Ready (on node %q) within 1m:\n%s", pod, node, desc)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// waitServiceAnswers waits until a request to path through the Service's cluster address
// (clusterIP:port) answers with want. A pod that just became Ready is not yet reachable
// there: the EndpointSlice must list it ready and kube-proxy must have written its rules
// (iptables nat: the cluster address, then a DNAT to endpoint). So it polls, in that
// order, up to a minute, and on failure says which of the three was missing.
func waitServiceAnswers(t *testing.T, kubectl func(...string) (string, error), svc, clusterAddr, endpoint, path, want string) {
	t.Helper()
	host, port, _ := strings.Cut(clusterAddr, ":")
	epIP, _, _ := strings.Cut(endpoint, ":")
	poll(t, fmt.Sprintf("Service %s answering %q at %s%s", svc, want, clusterAddr, path), time.Minute, 500*time.Millisecond, func() error {
		eps, err := kubectl("get", "endpointslices", "-l", "kubernetes.io/service-name="+svc,
			"-o", `jsonpath={range .items[*].endpoints[*]}{.addresses[0]}={.conditions.ready} {end}`)
		if err != nil || !strings.Contains(" "+eps, " "+epIP+"=true ") {
			return fmt.Errorf("its EndpointSlice does not list %s ready: %q %v", epIP, eps, err)
		}
		nat, err := exec.Command("iptables-save", "-t", "nat").Output()
		if err != nil {
			return fmt.Errorf("iptables-save -t nat: %v", err)
		}
		rules := string(nat)
		if !strings.Contains(rules, "-d "+host+"/32") || !strings.Contains(rules, "--dport "+port) {
			return fmt.Errorf("kube-proxy has no nat rule for %s yet", clusterAddr)
		}
		if !strings.Contains(rules, "--to-destination "+endpoint) {
			return fmt.Errorf("kube-proxy has no DNAT to %s yet", endpoint)
		}
		body, err := getOnce("http://" + clusterAddr + path)
		if err != nil {
			return fmt.Errorf("the rules are there, but GET failed: %v", err)
		}
		if !strings.Contains(body, want) {
			return fmt.Errorf("the rules are there, but it answered %q", body)
		}
		return nil
	})
}

// assertNoRealNodeLeft checks that nothing of a real node outlives its uninstall.
func assertNoRealNodeLeft(t *testing.T, dataDir, runDir string) {
	t.Helper()
	left := append(pids(dataDir), pids(filepath.Join(runDir, "containerd.sock"))...) // server, containerd, shims
	left = append(left, proc.WithArg("hello")...)                                    // the pod's container
	if p := left; len(p) > 0 {
		t.Errorf("processes left after uninstall: %v", p)
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(mounts), "\n") {
		if strings.Contains(line, dataDir) || strings.Contains(line, runDir) {
			t.Errorf("mount left after uninstall: %s", line)
		}
	}
	if err := exec.Command("ip", "link", "show", "velad0").Run(); err == nil {
		t.Errorf("bridge velad0 left after uninstall")
	}
	if out, err := exec.Command("iptables-save").Output(); err == nil && (strings.Contains(string(out), "CNI-") || strings.Contains(string(out), "KUBE-")) {
		t.Errorf("CNI or kube-proxy iptables rules left after uninstall")
	}
	for _, d := range []string{dataDir, runDir} {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("%s left after uninstall", d)
		}
	}
}
