package cli

import (
	"testing"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

func TestAggregateServicesFoldsPlacements(t *testing.T) {
	got := aggregateServices([]v1beta1.ApplicationComponentStatus{
		{Name: "web", Healthy: true, Message: "Ready:1/1"},
		{Name: "web", Cluster: "sub", Healthy: false, Message: "Ready:0/3"},
		{Name: "db", Healthy: true, Message: "Ready:1/1"},
	})
	if w := got["web"]; w.healthy || w.message != "sub: Ready:0/3" {
		t.Errorf("web = %+v", w)
	}
	if d := got["db"]; !d.healthy || d.message != "Ready:1/1" {
		t.Errorf("db = %+v", d)
	}
}
