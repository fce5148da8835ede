package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

func TestIntegrationLiveDiff(t *testing.T) {
	c := appClient(t)
	app := &v1beta1.Application{ObjectMeta: metav1.ObjectMeta{Name: "diffy", Namespace: "default"}}
	app.Spec.Components = []v1beta1.ApplicationComponent{{Name: "diffy", Type: "webservice", Properties: &runtime.RawExtension{Raw: []byte(`{"image":"nginx:1"}`)}}}
	if err := c.Create(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	revision(t, c, app, "diffy-v1", "nginx:1", true, "")
	revision(t, c, app, "diffy-v2", "nginx:2", true, "")
	setStatus(t, c, "default", "diffy", func(s *v1beta1.AppStatus) {
		s.LatestRevision = &v1beta1.Revision{Name: "diffy-v1", Revision: 1}
	})

	contains(t, mustVela(t, "live-diff", "diffy"), "diffy-v1 and application diffy render the same")

	out := mustVela(t, "live-diff", "-r", "diffy-v1,diffy-v2", "-c", "1")
	contains(t, out, "--- diffy-v1", "+++ diffy-v2", "-", "image: nginx:1", "image: nginx:2")
	if changed(out, "nginx:2") != "+" || changed(out, "nginx:1") != "-" {
		t.Errorf("the diff should remove nginx:1 and add nginx:2:\n%s", out)
	}
	if strings.Contains(out, "apiVersion: apps/v1") {
		t.Errorf("-c 1 should leave out unchanged lines far from the change:\n%s", out)
	}

	file := filepath.Join(t.TempDir(), "app.yaml")
	data := "apiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata: {name: diffy}\nspec:\n  components:\n  - {name: diffy, type: webservice, properties: {image: nginx:3}}\n"
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	out = mustVela(t, "live-diff", "-f", file)
	if changed(out, "nginx:3") != "+" || changed(out, "nginx:1") != "-" {
		t.Errorf("file against the running revision:\n%s", out)
	}
	if _, err := velaRun(t, "", "live-diff", "-r", "diffy-v9"); err == nil || !strings.Contains(err.Error(), `revision "diffy-v9" of application "diffy" not found`) {
		t.Errorf("missing revision: %v", err)
	}
}

// changed is the diff marker of the first line mentioning s ("" when none).
func changed(diff, s string) string {
	for _, l := range strings.Split(diff, "\n") {
		if strings.Contains(l, s) && l != "" {
			return l[:1]
		}
	}
	return ""
}
