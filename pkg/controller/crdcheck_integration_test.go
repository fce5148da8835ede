package controller_test

import (
	"context"
	"testing"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/scheme"
	"velad.io/velad/pkg/controller"
)

// TestIntegrationStoredCompression: velad's CRDs keep spec.compression, so the
// flag's value stands; a CRD that cannot be read makes the controller store
// uncompressed rather than lose the snapshot.
func TestIntegrationStoredCompression(t *testing.T) {
	setup(t)
	sch, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	r, err := client.New(env.Config, client.Options{Scheme: sch})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, crd := range []string{"applicationrevisions.core.oam.dev", "resourcetrackers.core.oam.dev"} {
		if got := controller.StoredCompressionForTest(ctx, r, logr.Discard(), crd, "zstd"); got != "zstd" {
			t.Errorf("%s: %q, want zstd", crd, got)
		}
	}
	if got := controller.StoredCompressionForTest(ctx, r, logr.Discard(), "nothere.core.oam.dev", "gzip"); got != controller.CompressionNone {
		t.Errorf("a CRD that is not there: %q, want none", got)
	}
	if got := controller.StoredCompressionForTest(ctx, r, logr.Discard(), "applicationrevisions.core.oam.dev", controller.CompressionNone); got != controller.CompressionNone {
		t.Errorf("none asked: %q", got)
	}
}
