package controller_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/appfile"
	"velad.io/velad/pkg/testenv"
)

// conformanceApp is one Application of KubeVela's examples, deployed into a
// namespace of its own next to the definitions its directory supplies.
type conformanceApp struct {
	id        string // path relative to the conformance root, plus the app name
	namespace string
	obj       *unstructured.Unstructured
	// extra are the other objects of the file (Secrets, ConfigMaps) the app reads.
	extra []*unstructured.Unstructured
}

// conformanceApps reads every Application under ../shared/conformance/kubevela
// with the X-Definitions of its directory and its parents (nearest wins).
func conformanceApps(t *testing.T) ([]conformanceApp, map[string][]*unstructured.Unstructured) {
	t.Helper()
	mod, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(mod, "..", "shared", "conformance", "kubevela")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("conformance examples not present at %s", root)
	}
	var apps []conformanceApp
	defsByNS := map[string][]*unstructured.Unstructured{}
	n := 0
	err = filepath.WalkDir(root, func(dir string, de os.DirEntry, err error) error {
		if err != nil || !de.IsDir() {
			return err
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		var defs []*unstructured.Unstructured
		for _, f := range files {
			rel, _ := filepath.Rel(root, f)
			ns := ""
			objs := decodeFile(t, f)
			var extra []*unstructured.Unstructured
			for _, o := range objs {
				if o.GetKind() != "Application" && !appfile.IsDefinitionKind(o.GetKind()) {
					extra = append(extra, o)
				}
			}
			for _, o := range objs {
				if o.GetKind() != "Application" {
					continue
				}
				if ns == "" { // one namespace per file: files in a directory may reuse app names
					if defs == nil {
						defs = definitionsFor(t, root, dir)
					}
					n++
					ns = fmt.Sprintf("conformance-%d", n)
					defsByNS[ns] = defs
				}
				apps = append(apps, conformanceApp{id: rel + "/" + o.GetName(), namespace: ns, obj: o, extra: extra})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return apps, defsByNS
}

func decodeFile(t *testing.T, f string) []*unstructured.Unstructured {
	data, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := appfile.DecodeObjects(strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return objs
}

// definitionsFor collects the definitions of dir, dir/definitions and every parent up to root.
func definitionsFor(t *testing.T, root, dir string) []*unstructured.Unstructured {
	seen := map[string]bool{}
	var out []*unstructured.Unstructured
	for d := dir; ; d = filepath.Dir(d) {
		files, _ := filepath.Glob(filepath.Join(d, "*.yaml"))
		if d == dir {
			sub, _ := filepath.Glob(filepath.Join(d, "definitions", "*.yaml"))
			files = append(sub, files...)
		}
		for _, f := range files {
			for _, o := range decodeFile(t, f) {
				if appfile.IsDefinitionKind(o.GetKind()) && !seen[o.GetKind()+"/"+o.GetName()] {
					seen[o.GetKind()+"/"+o.GetName()] = true
					out = append(out, o)
				}
			}
		}
		if d == root || len(d) <= len(root) {
			return out
		}
	}
}

// settled reports whether an Application reached a phase it will stay in
// without outside help, and names it.
func settled(a *v1beta1.Application) (string, bool) {
	switch a.Status.Phase {
	case v1beta1.ApplicationRunning, v1beta1.ApplicationWorkflowSuspending, v1beta1.ApplicationWorkflowFailed, v1beta1.ApplicationWorkflowTerminated:
		return string(a.Status.Phase), true
	case v1beta1.ApplicationRendering:
		for _, c := range a.Status.Conditions {
			if c.Status == corev1.ConditionFalse {
				return "rendering(" + string(c.Type) + ")", true
			}
		}
	}
	return string(a.Status.Phase), false
}

func TestIntegrationConformance(t *testing.T) {
	setup(t)
	ctx := context.Background()
	apps, defsByNS := conformanceApps(t)
	for ns, defs := range defsByNS {
		if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
			t.Fatal(err)
		}
		for _, d := range defs {
			d = d.DeepCopy()
			d.SetNamespace(ns)
			d.SetResourceVersion("")
			if err := c.Create(ctx, d); err != nil {
				t.Errorf("installing %s %s in %s: %v", d.GetKind(), d.GetName(), ns, err)
			}
		}
	}
	for _, a := range apps {
		for _, x := range a.extra {
			x = x.DeepCopy()
			x.SetNamespace(a.namespace)
			if err := c.Create(ctx, x); err != nil {
				t.Logf("%s: creating %s %s: %v", a.id, x.GetKind(), x.GetName(), err)
			}
		}
		o := a.obj.DeepCopy()
		o.SetNamespace(a.namespace)
		if err := c.Create(ctx, o); err != nil {
			t.Errorf("%s: creating: %v", a.id, err)
		}
	}
	got := waitSettled(t, apps, 3*time.Minute)
	resumeSuspended(t, apps, got)
	got2 := waitSettled(t, apps, 2*time.Minute)
	var lines []string
	for _, a := range apps {
		lines = append(lines, fmt.Sprintf("%-90s %s -> %s", a.id, got[a.id], got2[a.id]))
	}
	sort.Strings(lines)
	t.Logf("conformance end phases (first settle -> after resume):\n%s", strings.Join(lines, "\n"))
	checkConformance(t, apps, got2)
}

// waitSettled polls until every app settled or the timeout passed; it returns
// each app's phase (with a message for failures).
func waitSettled(t *testing.T, apps []conformanceApp, timeout time.Duration) map[string]string {
	start := time.Now()
	deadline := start.Add(timeout)
	out := map[string]string{}
	for {
		pending := 0
		for _, a := range apps {
			app := &v1beta1.Application{}
			if err := c.Get(context.Background(), client.ObjectKey{Namespace: a.namespace, Name: a.obj.GetName()}, app); err != nil {
				out[a.id] = "error: " + err.Error()
				continue
			}
			phase, ok := settled(app)
			if !ok && expected(a.id) == simulatedNode && strings.HasPrefix(phase, simulatedNode) && time.Since(start) > 20*time.Second {
				ok = true
			}
			if !ok {
				pending++
				phase += " " + workflowSummary(app)
			}
			out[a.id] = phase + conditionSummary(app)
		}
		if pending == 0 || time.Now().After(deadline) {
			return out
		}
		time.Sleep(time.Second)
	}
}

func conditionSummary(a *v1beta1.Application) string {
	for _, c := range a.Status.Conditions {
		if c.Status == corev1.ConditionFalse {
			msg := c.Message
			if len(msg) > 160 {
				msg = msg[:160] + "..."
			}
			return " [" + string(c.Type) + ": " + msg + "]"
		}
	}
	return ""
}

// resumeSuspended resumes every suspended app, as `vela workflow resume` would.
func resumeSuspended(t *testing.T, apps []conformanceApp, got map[string]string) {
	for _, a := range apps {
		if !strings.HasPrefix(got[a.id], string(v1beta1.ApplicationWorkflowSuspending)) {
			continue
		}
		app := &v1beta1.Application{}
		if err := c.Get(context.Background(), client.ObjectKey{Namespace: a.namespace, Name: a.obj.GetName()}, app); err != nil {
			t.Fatal(err)
		}
		app.Status.Workflow.Suspend = false
		if err := c.Status().Update(context.Background(), app); err != nil {
			t.Errorf("%s: resuming: %v", a.id, err)
		}
	}
}

// checkConformance compares the end phases with what each example should reach.
func checkConformance(t *testing.T, apps []conformanceApp, final map[string]string) {
	for _, a := range apps {
		want := expected(a.id)
		if !strings.HasPrefix(final[a.id], want) {
			t.Errorf("%s: ended %q, want %q", a.id, final[a.id], want)
		}
	}
}

// Why an example does not end running.
const (
	missingDefinition = "rendering(Parsed)" // uses a definition neither velad nor the example supplies
	invalidInput      = "rendering(Parsed)" // rejected by validation (KubeVela's webhook rejects it too)
	failsByDesign     = "workflowFailed"    // the example fails on purpose, or needs a placeholder filled in
	noNetwork         = "workflowFailed"    // calls a public URL; tests run without network
	notServed         = "workflowFailed"    // renders a kind current Kubernetes no longer serves
	badObject         = "workflowFailed"    // the built-in trait renders an object the API server rejects
	simulatedNode     = "runningWorkflow"   // waits for pods the simulated node cannot run (no volume provisioner, capacity)
	// Its pod requests 1.5 of the simulated node's CPUs (as many as the host has, 2 here): it runs,
	// or waits (runningWorkflow; "running" is a prefix of it) while other examples' pods hold them.
	nodeCapacity = "running"
)

// conformanceExpectations lists the examples that should not end running.
var conformanceExpectations = map[string]string{
	"docs/examples/envbinding/deploy-and-share-cloud-resource.yaml/rds-app":   missingDefinition,
	"docs/examples/envbinding/envpatch-with-wild-match.yaml/example-app":      missingDefinition,
	"docs/examples/envbinding/example.yaml/example-app":                       missingDefinition,
	"docs/examples/workflow/Li-Auto-Inc/app.yaml/lixiang-app":                 missingDefinition,
	"docs/examples/workflow/canary-rollout/first-deploy.yaml/canary-test":     missingDefinition,
	"docs/examples/workflow/canary-rollout/rollout-v2.yaml/canary-test":       missingDefinition,
	"docs/examples/workflow/depends-on-app/app.yaml/kruise":                   missingDefinition,
	"docs/examples/workflow/rollout/first-scale.yaml/rollout-multi-comp":      missingDefinition,
	"test/e2e-test/testdata/app/app_replication.yaml/app-replication-policy":  missingDefinition,
	"test/e2e-test/testdata/app/app_with_legacy_cue.yaml/app-with-legacy-cue": missingDefinition,
	"test/e2e-test/testdata/app/app_with_status.yaml/app-with-status":         missingDefinition,
	"test/e2e-test/testdata/app/app8.yaml/first-application":                  invalidInput,

	"docs/examples/app-with-status/app.yaml/application-sample":                                   notServed,
	"docs/examples/dry-run/app.yaml/application-sample":                                           notServed,
	"docs/examples/workflow/inti-secret-with-http/app.yaml/init-secret-with-http":                 failsByDesign,
	"docs/examples/workflow/notification/app.yaml/first-vela-workflow":                            failsByDesign,
	"docs/examples/workflow/read-object/app.yaml/read-object":                                     failsByDesign,
	"test/e2e-test/testdata/app/app10.yaml/failed-app":                                            failsByDesign,
	"test/e2e-test/testdata/app/app_component_depends_on_fail.yaml/app-component-depends-on-fail": failsByDesign,
	"test/e2e-test/testdata/app/app_notification.yaml/noti":                                       noNetwork,
	"test/e2e-test/testdata/app/app_notification_secret.yaml/noti-secret":                         failsByDesign,

	"vela-templates/definitions/usage-examples/application-daemon-with-k8s-update-strategy.yaml/application-node-exporter":                 badObject,
	"vela-templates/definitions/usage-examples/application-with-topologyspreadconstraints.yaml/application-with-topologyspreadconstraints": badObject,

	"docs/examples/workflow/apply-object/app.yaml/server-with-pvc":                                                         simulatedNode,
	"vela-templates/definitions/usage-examples/application-with-k8s-update-strategy.yaml/application-with-update-strategy": simulatedNode,
	"vela-templates/definitions/usage-examples/application-with-pvc.yaml/application-with-pvc":                             simulatedNode,
	"vela-templates/definitions/usage-examples/application-with-resource.yaml/website":                                     nodeCapacity,
	"vela-templates/definitions/usage-examples/application-with-statefulset.yaml/postgres":                                 simulatedNode,
	"vela-templates/definitions/usage-examples/application-with-storage.yaml/application-with-storage":                     simulatedNode,
}

// expected is the phase prefix an example should end with.
func expected(id string) string {
	if w, ok := conformanceExpectations[id]; ok {
		return w
	}
	return string(v1beta1.ApplicationRunning)
}
