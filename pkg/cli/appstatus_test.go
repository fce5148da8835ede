package cli

import (
	"bytes"
	"strings"
	"testing"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/application"
)

func TestPrintTree(t *testing.T) {
	res := []application.Resource{
		{Cluster: "local", Namespace: "default", Kind: "Deployment", Name: "web", Status: "updated"},
		{Cluster: "local", Namespace: "default", Kind: "Service", Name: "web", Status: "updated"},
		{Cluster: "local", Namespace: "prod", Kind: "Deployment", Name: "web", Status: "not found"},
		{Cluster: "remote", Namespace: "default", Kind: "Deployment", Name: "web", Status: application.ResourceRemote},
	}
	var buf bytes.Buffer
	if err := printTree(&buf, &v1beta1.Application{}, res, false); err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"CLUSTER     NAMESPACE     RESOURCE        STATUS",
		"local   ─┬─ default   ─┬─ Deployment/web  updated",
		"         │             └─ Service/web     updated",
		"         └─ prod      ─── Deployment/web  not found",
		"remote  ─── default   ─── Deployment/web  unknown (remote cluster)",
		"",
	}, "\n")
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
}
