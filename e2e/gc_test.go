package e2e

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// gcApp is an Application of one ConfigMap per name.
func gcApp(names ...string) string {
	s := "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: e2e-gc}\nspec:\n  components:\n"
	for _, n := range names {
		s += fmt.Sprintf("  - {name: %s, type: k8s-objects, properties: {objects: [{apiVersion: v1, kind: ConfigMap, metadata: {name: %s}, data: {k: v}}]}}\n", n, n)
	}
	return s
}

// TestGCSurvivesKill9 kills the server with -9 while garbage collection
// waits on a resource, and checks the restarted server finishes it from the
// ResourceTracker: nothing left behind, nothing wrongly deleted.
func TestGCSurvivesKill9(t *testing.T) {
	h := newHost(t)
	h.must("install", "--node", "simulated", "--port", strconv.Itoa(freePort(t)))
	kubectl := h.kubectlOf("")
	apply := func(manifest string) {
		t.Helper()
		if out, err := kubectl("apply", "-f", writeTemp(t, "app.yaml", manifest)); err != nil {
			t.Fatalf("kubectl apply: %v\n%s", err, out)
		}
	}
	get := func(args ...string) string {
		out, _ := kubectl(append([]string{"get"}, args...)...)
		return strings.TrimSpace(out)
	}
	apply(gcApp("gc-keep", "gc-held", "gc-drop"))
	waitFor(t, "e2e-gc running", func() bool { return get("application", "e2e-gc", "-o", "jsonpath={.status.status}") == "running" })
	keepUID := get("configmap", "gc-keep", "-o", "jsonpath={.metadata.uid}")
	if out, err := kubectl("patch", "configmap", "gc-held", "--type", "merge", "-p", `{"metadata":{"finalizers":["e2e.velad.io/hold"]}}`); err != nil {
		t.Fatalf("adding a finalizer: %v\n%s", err, out)
	}
	apply(gcApp("gc-keep"))
	waitFor(t, "gc-drop collected", func() bool {
		_, err := kubectl("get", "configmap", "gc-drop")
		return err != nil
	})
	if get("configmap", "gc-held", "-o", "jsonpath={.metadata.deletionTimestamp}") == "" {
		t.Fatal("gc-held is not being deleted")
	}
	killServer(t, filepath.Join(h.home, "default"))
	h.waitReady("default", 2*time.Minute)
	if rts := get("resourcetrackers", "-o", "name"); !strings.Contains(rts, "e2e-gc-v1-default") {
		t.Fatalf("the outdated tracker went before its resources: %s", rts)
	}
	if out, err := kubectl("patch", "configmap", "gc-held", "--type", "merge", "-p", `{"metadata":{"finalizers":null}}`); err != nil {
		t.Fatalf("removing the finalizer: %v\n%s", err, out)
	}
	waitFor(t, "gc-held gone and the outdated tracker collected", func() bool {
		_, err := kubectl("get", "configmap", "gc-held")
		return err != nil && !strings.Contains(get("resourcetrackers", "-o", "name"), "e2e-gc-v1-default")
	})
	if uid := get("configmap", "gc-keep", "-o", "jsonpath={.metadata.uid}"); uid != keepUID {
		t.Fatalf("gc-keep was deleted or recreated: uid %q, was %q", uid, keepUID)
	}
	if out, err := kubectl("delete", "application", "e2e-gc", "--wait"); err != nil {
		t.Fatalf("deleting the application: %v\n%s", err, out)
	}
	if _, err := kubectl("get", "configmap", "gc-keep"); err == nil {
		t.Fatal("gc-keep left after the application was deleted")
	}
	if rts := get("resourcetrackers", "-o", "name"); strings.Contains(rts, "e2e-gc") {
		t.Fatalf("trackers left: %s", rts)
	}
}
