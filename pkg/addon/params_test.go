package addon

import (
	"reflect"
	"testing"
)

func TestParseParameters(t *testing.T) {
	got, err := ParseParameters([]string{"replicas=2", "ratio=0.5", "debug=true", "name=web", "image.tag=v1",
		"image.repo=x/y", `ports=[80,443]`, "empty=", "eq=a=b", "tags={a,b}", `obj={"k":1.5}`, "none=null"})
	if err != nil {
		t.Fatal(err)
	}
	// As KubeVela (Helm's --set): a float stays a string; JSON values keep their types.
	want := map[string]any{"replicas": int64(2), "ratio": "0.5", "debug": true, "name": "web",
		"image": map[string]any{"tag": "v1", "repo": "x/y"}, "ports": []any{float64(80), float64(443)}, "empty": "", "eq": "a=b",
		"tags": []any{"a", "b"}, "obj": map[string]any{"k": 1.5}, "none": nil}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v", got)
	}
	for _, bad := range [][]string{{"noequals"}, {"=v"}, {"a=1", "a.b=2"}, {"x=[1,"}} {
		if _, err := ParseParameters(bad); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}
