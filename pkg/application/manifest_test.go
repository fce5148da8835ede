package application

import (
	"errors"
	"testing"
)

func TestDecodeManifestsReportsFileAndLine(t *testing.T) {
	cases := []struct {
		name, data string
		line       int
	}{
		{"bad indentation in second document", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: core.oam.dev/v1beta1\nkind: Application\nmetadata:\n  name: b\n   spec: x\n", 10},
		{"tab in first document", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: a\n", 4},
		{"missing name", "# header\n---\napiVersion: v1\nkind: ConfigMap\n", 3},
		{"missing kind", "apiVersion: v1\nmetadata:\n  name: a\n", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeManifests("app.yaml", []byte(tc.data))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("want a *SyntaxError, got %v", err)
			}
			if se.File != "app.yaml" || se.Line != tc.line {
				t.Fatalf("want app.yaml:%d, got %s:%d (%v)", tc.line, se.File, se.Line, err)
			}
		})
	}
}

func TestDecodeManifestsSkipsEmptyDocuments(t *testing.T) {
	data := "---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"
	objs, err := DecodeManifests("x.yaml", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0].GetName() != "a" || objs[1].GetName() != "b" {
		t.Fatalf("want objects a and b, got %d", len(objs))
	}
}

func TestPlaceNamespace(t *testing.T) {
	app := OneComponent("web", "", "webservice", nil)
	if err := placeNamespace(app, ApplyOptions{}); err != nil || app.GetNamespace() != "default" {
		t.Fatalf("want default namespace, got %q (%v)", app.GetNamespace(), err)
	}
	app.SetNamespace("prod")
	if err := placeNamespace(app, ApplyOptions{Namespace: "dev", Enforce: true}); err == nil {
		t.Fatal("want a namespace mismatch error")
	}
	if err := placeNamespace(app, ApplyOptions{Namespace: "dev"}); err != nil || app.GetNamespace() != "prod" {
		t.Fatalf("the file's namespace wins without -n, got %q (%v)", app.GetNamespace(), err)
	}
}
