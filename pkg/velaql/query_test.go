package velaql

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseQuery(t *testing.T) {
	cases := map[string]Query{
		"helm-release":                            {View: "helm-release", Parameter: map[string]any{}, Export: "status"},
		"helm-release.status.revisions":           {View: "helm-release", Parameter: map[string]any{}, Export: "status.revisions"},
		`pod-view{name=web, namespace="prod"}`:    {View: "pod-view", Parameter: map[string]any{"name": "web", "namespace": "prod"}, Export: "status"},
		"v{n=2,f=0.5,b=true,s=x-1}.out":           {View: "v", Parameter: map[string]any{"n": int64(2), "f": 0.5, "b": true, "s": "x-1"}, Export: "out"},
		" component-pod-view{appName=a,appNs=b} ": {View: "component-pod-view", Parameter: map[string]any{"appName": "a", "appNs": "b"}, Export: "status"},
	}
	for in, want := range cases {
		got, err := ParseQuery(in)
		if err != nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("ParseQuery(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "View{}", "v{name}", "v{a=1", "v{a=1}x", "v{=1}"} {
		if _, err := ParseQuery(bad); err == nil || !strings.Contains(err.Error(), "want view{key=value") {
			t.Errorf("ParseQuery(%q) = %v, want an error showing the syntax", bad, err)
		}
	}
}

func TestViewConfigMap(t *testing.T) {
	cm, err := ViewConfigMap("my-view", "status: 1")
	if err != nil || cm.Namespace != Namespace || cm.Data[TemplateKey] != "status: 1" {
		t.Fatalf("ViewConfigMap = %+v, %v", cm, err)
	}
	if _, err := ViewConfigMap("My_View", ""); err == nil {
		t.Fatal("an invalid name must be refused")
	}
}
