package embedded_test

import (
	"io/fs"
	"path"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"velad.io/velad/embedded"
	"velad.io/velad/pkg/apis/core/v1beta1"
)

// TestDefinitionsDecodeStrictly decodes every built-in definition into velad's API types
// and fails on unknown fields, so a misspelt spec field cannot be pruned silently when
// the definitions are installed.
func TestDefinitionsDecodeStrictly(t *testing.T) {
	err := fs.WalkDir(embedded.Definitions(), ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(p, ".yaml") {
			return err
		}
		data, err := fs.ReadFile(embedded.Definitions(), p)
		if err != nil {
			return err
		}
		var obj any
		switch path.Dir(p) {
		case "components":
			obj = &v1beta1.ComponentDefinition{}
		case "traits":
			obj = &v1beta1.TraitDefinition{}
		case "policies":
			obj = &v1beta1.PolicyDefinition{}
		case "workflowsteps":
			obj = &v1beta1.WorkflowStepDefinition{}
		default:
			t.Errorf("%s: unexpected directory", p)
			return nil
		}
		if err := yaml.UnmarshalStrict(data, obj); err != nil {
			t.Errorf("%s: %v", p, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
