package e2e

import (
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"velad.io/velad/pkg/server/config"
)

const agentPod = `apiVersion: v1
kind: Pod
metadata: {name: hello-agent}
spec:
  nodeSelector: {kubernetes.io/hostname: e2e-agent}
  containers:
  - name: hello
    image: velad.local/hello:v1
    ports: [{containerPort: 8080}]
    readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
`

// TestJoinAgent installs a server with a simulated node, adds a real agent node with velad
// join (a separate data dir, as another host would have), runs a pod pinned to it and gets its
// HTTP answer, survives a kill -9 of the agent (pod adopted, no new certificate), then leaves:
// the node is gone from the cluster and nothing of it from the host.
// Bad tokens fail with a clear error that never shows them, and leave nothing behind.
func TestJoinAgent(t *testing.T) {
	h := newHost(t)
	h.must("install", "--name", "e2e", "--node", "simulated", "--cluster-only", "--port", strconv.Itoa(freePort(t)))
	kubectl := h.kubectlOf("e2e")
	// The server's address as another host reaches it: the internal kubeconfig's.
	internal, err := clientcmd.BuildConfigFromFlags("", strings.TrimSpace(h.must("kubeconfig", "--name", "e2e", "--internal")))
	if err != nil {
		t.Fatal(err)
	}
	server := internal.Host
	if u, _ := url.Parse(server); u == nil || u.Hostname() == "127.0.0.1" {
		t.Skipf("JOIN NOT TESTED: the host has no address but loopback (%s)", server)
	}
	token := strings.TrimSpace(h.must("token", "--name", "e2e"))
	hash, secret, ok := strings.Cut(token, "::")
	if !ok || !strings.HasPrefix(hash, "V10") || len(hash) != 67 {
		t.Fatalf("velad token is not V10<CA hash>::<secret> (%d characters)", len(token))
	}
	join := func(tok string, extra ...string) (string, error) {
		args := append([]string{"join", "--name", "agent", "--server", server, "--node-name", "e2e-agent"}, extra...)
		return h.runAsEnv(veladBin, []string{"VELAD_TOKEN=" + tok}, args...)
	}
	otherCA := "V10" + strings.Repeat("ab", 32) + "::" + secret
	for _, bad := range []struct{ token, want, secret string }{
		{hash + "::not-the-secret", "refused the join token", "not-the-secret"},
		{otherCA, "does not present the CA the join token names", secret},
		{"K10abc", "not one `velad token` prints", "K10abc"},
	} {
		out, err := join(bad.token)
		if err == nil || !strings.Contains(out, bad.want) {
			t.Fatalf("join with a bad token: %v, want an error saying %q:\n%s", err, bad.want, out)
		}
		if strings.Contains(out, bad.secret) || strings.Contains(out, token) {
			t.Fatalf("the join error shows the token")
		}
		if _, err := os.Stat(filepath.Join(h.home, "agent")); err == nil {
			t.Fatalf("a failed join left %s", filepath.Join(h.home, "agent"))
		}
	}

	start := time.Now()
	out, err := join(token)
	skipWithoutContainers(t, "JOIN", out, err)
	if err != nil {
		t.Fatalf("velad join: %v\n%s", err, out)
	}
	if strings.Contains(out, secret) {
		t.Fatal("velad join printed the token")
	}
	t.Logf("join → agent node Ready: %s", time.Since(start).Round(time.Millisecond))
	nodes, _ := kubectl("get", "nodes", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[-1:].status} {end}")
	if !strings.Contains(nodes, "e2e-agent=True") {
		t.Fatalf("the server does not show a Ready e2e-agent node: %s", nodes)
	}
	for _, st := range h.status() {
		if st.Name == "agent" && (!st.Ready || !strings.Contains(st.Node, "e2e-agent (real, Ready)")) {
			t.Fatalf("velad status of the agent: %+v", st)
		}
	}

	if out, err := kubectl("apply", "-f", writeTemp(t, "pod.yaml", agentPod)); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	podIP := waitPodReady(t, kubectl, "hello-agent", "e2e-agent")
	if body := httpGet(t, "http://"+podIP+":8080/agent"); !strings.Contains(body, "path /agent") {
		t.Fatalf("the pod on the agent answered %q", body)
	}
	if logs, err := kubectl("logs", "hello-agent"); err != nil {
		t.Fatalf("kubectl logs of a pod on the agent (API server → agent kubelet): %v\n%s", err, logs)
	}

	agentDir := filepath.Join(h.home, "agent")
	// The kubelet runs on velad join's certificate (velad seeds its certificate store with it;
	// the kubelet renews it from 70 % of its life): one CSR, and a restart adds none.
	csrList := func() string {
		out, _ := kubectl("get", "csr", "-o", "jsonpath={range .items[*]}{.metadata.name}={.status.conditions[0].type}{\"\\n\"}{end}")
		return out
	}
	csrs := csrList()
	if f := strings.Fields(csrs); len(f) != 1 || !strings.HasPrefix(f[0], "velad-join-e2e-agent-") || !strings.HasSuffix(f[0], "=Approved") {
		t.Fatalf("after the join the server holds CSRs %q, want velad join's only, approved", csrs)
	}
	// kill -9 of the agent: its supervisor restarts it with the certificate it has (no new
	// CSR), and the running pod is adopted.
	killServer(t, agentDir)
	h.waitReady("agent", 2*time.Minute)
	if again := csrList(); again != csrs {
		t.Fatalf("after the agent's restart the server holds CSRs %q, want those before it only: %q", again, csrs)
	}
	if restarts, _ := kubectl("get", "pod", "hello-agent", "-o", "jsonpath={.status.containerStatuses[0].restartCount}"); restarts != "0" {
		t.Fatalf("the pod's container restarted %s times across the agent's restart, want 0 (adopted)", restarts)
	}
	if body := httpGet(t, "http://"+podIP+":8080/again"); !strings.Contains(body, "path /again") {
		t.Fatalf("the pod on the agent after its restart answered %q", body)
	}
	if out, err := h.run("uninstall", "--name", "agent"); err != nil {
		t.Fatalf("uninstall of the agent: %v\n%s", err, out)
	}
	if out, err := kubectl("get", "node", "e2e-agent"); err == nil || !strings.Contains(out, "NotFound") {
		t.Fatalf("the agent's node is still in the cluster after it left: %s", out)
	}
	assertNoRealNodeLeft(t, agentDir, (&config.Config{DataDir: agentDir}).AgentRunDir())
	if st := h.status(); len(st) != 1 || st[0].Name != "e2e" || !st[0].Ready {
		t.Fatalf("the server is not alone and Ready after the agent left: %+v", st)
	}
}
