package bootstrap_test

import (
	"context"
	"os"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"velad.io/velad/pkg/controller/bootstrap"
	"velad.io/velad/pkg/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

func TestInstallIsIdempotentAndInstallsBuiltins(t *testing.T) {
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := bootstrap.Install(ctx, env.Config); err != nil {
			t.Fatalf("install #%d: %v", i+1, err)
		}
	}
	dyn := dynamic.NewForConfigOrDie(env.Config)
	for resource, name := range map[string]string{
		"componentdefinitions":    "webservice",
		"traitdefinitions":        "scaler",
		"policydefinitions":       "topology",
		"workflowstepdefinitions": "suspend",
	} {
		gvr := schema.GroupVersionResource{Group: "core.oam.dev", Version: "v1beta1", Resource: resource}
		if _, err := dyn.Resource(gvr).Namespace(bootstrap.SystemNamespace).Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Errorf("built-in %s/%s: %v", resource, name, err)
		}
	}
	apps := schema.GroupVersionResource{Group: "core.oam.dev", Version: "v1beta1", Resource: "applications"}
	if _, err := dyn.Resource(apps).Namespace("default").List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("Application API not served after bootstrap: %v", err)
	}
}
