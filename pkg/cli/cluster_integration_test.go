package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
	"velad.io/velad/pkg/multicluster"
)

// TestIntegrationClusterCommands joins the test hub to itself as a member and drives every
// vela cluster subcommand.
func TestIntegrationClusterCommands(t *testing.T) {
	c := appClient(t)
	ctx := context.Background()

	out := mustVela(t, "cluster", "join", appEnv.Kubeconfig, "--name", "self", "--labels", "region=eu,tier=dev", "--alias", "Myself")
	contains(t, out, "cluster self joined (X509Certificate, endpoint https://127.0.0.1:")
	if _, err := velaRun(t, "", "cluster", "join", appEnv.Kubeconfig, "--name", "self"); err == nil || !strings.Contains(err.Error(), "vela cluster rename self <new-name>") {
		t.Fatalf("second join: %v", err)
	}

	out = mustVela(t, "cluster", "list")
	t.Logf("vela cluster list:\n%s", out)
	contains(t, out, "CLUSTER", "ALIAS", "TYPE", "ENDPOINT", "LABELS", "HEALTH", "local", "Internal", "self", "Myself", "region=eu,tier=dev", "healthy")
	out = mustVela(t, "cluster", "list", "-o", "json")
	var clusters []multicluster.Cluster
	if err := json.Unmarshal([]byte(out), &clusters); err != nil || len(clusters) != 2 || clusters[1].Name != "self" || !clusters[1].Health.Healthy {
		t.Fatalf("list -o json: %v\n%s", err, out)
	}
	if strings.Contains(out, "BEGIN") {
		t.Fatalf("list printed a credential:\n%s", out)
	}

	contains(t, mustVela(t, "cluster", "labels", "add", "self", "env=ci"), "cluster self labels: env=ci,region=eu,tier=dev")
	contains(t, mustVela(t, "cluster", "labels", "del", "self", "tier", "region"), "cluster self labels: env=ci")
	if _, err := velaRun(t, "", "cluster", "labels", "del", "self", "nope"); err == nil || !strings.Contains(err.Error(), `cluster "self" has no label nope`) {
		t.Fatalf("labels del of a missing key: %v", err)
	}
	contains(t, mustVela(t, "cluster", "probe", "self"), "cluster self is healthy")

	testExportConfig(t)

	contains(t, mustVela(t, "cluster", "rename", "self", "me"), "cluster self renamed to me")
	rt := &v1beta1.ResourceTracker{
		ObjectMeta: metav1.ObjectMeta{Name: "cluster-cli-default", Labels: map[string]string{oam.LabelAppName: "cluster-cli", oam.LabelAppNamespace: "default"}},
		Spec: v1beta1.ResourceTrackerSpec{Type: v1beta1.ResourceTrackerTypeRoot, ManagedResources: []v1beta1.ManagedResource{
			{ClusterObjectReference: v1beta1.ClusterObjectReference{Cluster: "me", ObjectReference: corev1.ObjectReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: "default", Name: "x"}}},
		}},
	}
	if err := c.Create(ctx, rt); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Delete(ctx, rt) }()
	if _, err := velaRun(t, "", "cluster", "detach", "me"); err == nil || !strings.Contains(err.Error(), "default/cluster-cli") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("detach in use: %v", err)
	}
	contains(t, mustVela(t, "cluster", "detach", "me", "--force"), "cluster me detached")
	if out := mustVela(t, "cluster", "list"); strings.Contains(out, "me ") || strings.Contains(out, "self") {
		t.Fatalf("detached cluster still listed:\n%s", out)
	}
	if _, err := velaRun(t, "", "cluster", "detach", "local"); err == nil || !strings.Contains(err.Error(), "hub cluster") {
		t.Fatalf("detach local: %v", err)
	}
}

func testExportConfig(t *testing.T) {
	t.Helper()
	if _, err := velaRun(t, "", "cluster", "export-config", "self"); err == nil || !strings.Contains(err.Error(), "-o FILE") {
		t.Fatalf("export-config without -o: %v", err)
	}
	path := filepath.Join(t.TempDir(), "self.kubeconfig")
	out := mustVela(t, "cluster", "export-config", "self", "-o", path)
	contains(t, out, "kubeconfig written to "+path)
	if strings.Contains(out, "BEGIN") {
		t.Fatalf("export-config -o FILE printed the credential:\n%s", out)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("exported file: %v, mode %v", err, fi.Mode())
	}
	if _, err := clientcmd.BuildConfigFromFlags("", path); err != nil {
		t.Fatal(err)
	}
	contains(t, mustVela(t, "cluster", "export-config", "self", "-o", "-"), "current-context: self", "client-certificate-data")
}
