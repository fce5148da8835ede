package cue

import (
	"context"
	"testing"
)

func TestParameters(t *testing.T) {
	e := newEngine(t)
	ps, err := e.Parameters(context.Background(), workerTmpl+`
parameter: {
	// +usage=Labels to add
	labels?: [string]: string
	// +usage=Ports
	// +short=p
	ports?: [...{port: int, name?: string}]
}`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Param{}
	for _, p := range ps {
		got[p.Name] = p
	}
	want := map[string]Param{
		"image":        {Name: "image", Type: "string", Required: true},
		"replicas":     {Name: "replicas", Type: "int", Default: "1"},
		"labels":       {Name: "labels", Type: "map[string]string", Usage: "Labels to add"},
		"ports":        {Name: "ports", Type: "[...struct]", Usage: "Ports", Short: "p"},
		"ports[].port": {Name: "ports[].port", Type: "int", Required: true},
		"env[].name":   {Name: "env[].name", Type: "string", Required: true},
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s = %+v, want %+v", name, got[name], w)
		}
	}
}
