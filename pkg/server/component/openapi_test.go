package component_test

import (
	"context"
	"crypto/sha512"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	openapi_v3 "github.com/google/gnostic-models/openapiv3"
	"google.golang.org/protobuf/proto"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
)

// kube-apiserver's OpenAPI v3 documents are built on request (openapi.go), yet a client gets
// what upstream serves: the discovery lists every built-in group version, and each document
// fetched through the URL the discovery gives hashes to the hash in that URL (so the
// document built for the request is the one hashed at start, byte for byte), in JSON and in
// protobuf, with the built-in schemas in it.
func TestOpenAPIV3ServedOnRequest(t *testing.T) {
	dc := discovery.NewDiscoveryClientForConfigOrDie(env.Config)
	paths, err := dc.OpenAPIV3().Paths()
	if err != nil {
		t.Fatal(err)
	}
	// Every group version the server serves has its document, as upstream lists them.
	groups, err := dc.ServerGroups()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups.Groups {
		for _, v := range g.Versions {
			gv := "apis/" + v.GroupVersion
			if g.Name == "" {
				gv = "api/" + v.Version
			}
			if _, ok := paths[gv]; !ok {
				t.Errorf("/openapi/v3 does not list %s", gv)
			}
		}
	}
	for gv, p := range paths {
		u, err := url.Parse(p.ServerRelativeURL())
		if err != nil {
			t.Fatal(err)
		}
		doc, err := p.Schema("application/json")
		if err != nil {
			t.Fatalf("%s: %v", gv, err)
		}
		if got, want := fmt.Sprintf("%X", sha512.Sum512(doc)), u.Query().Get("hash"); got != want {
			t.Errorf("%s: document hashes to %.16s…, the discovery says %.16s…", gv, got, want)
		}
	}

	for gv, schema := range map[string]string{"api/v1": "io.k8s.api.core.v1.Pod", "apis/apps/v1": "io.k8s.api.apps.v1.Deployment"} {
		doc, err := paths[gv].Schema("application/json")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(doc), `"`+schema+`":`) {
			t.Errorf("%s has no schema %s", gv, schema)
		}
		if gv == "api/v1" && !strings.Contains(string(doc), `"operationId":"listCoreV1NamespacedPod"`) {
			t.Errorf("%s has no operation listCoreV1NamespacedPod", gv)
		}
		pb, err := paths[gv].Schema("application/com.github.proto-openapi.spec.v3@v1.0+protobuf")
		if err != nil {
			t.Fatal(err)
		}
		var d openapi_v3.Document
		if err := proto.Unmarshal(pb, &d); err != nil {
			t.Fatalf("%s in protobuf: %v", gv, err)
		}
		if !hasDefinition(d.GetComponents().GetSchemas().GetAdditionalProperties(), schema) {
			t.Errorf("%s in protobuf has no schema %s", gv, schema)
		}
	}
}

// /openapi/v2, built on its first request (openapi.go), holds the built-in definitions and,
// once a CRD is created, the CRD's schema, as upstream's does.
func TestOpenAPIV2ServedWithCRDs(t *testing.T) {
	ctx := context.Background()
	dc := discovery.NewDiscoveryClientForConfigOrDie(env.Config)
	doc, err := dc.OpenAPISchema()
	if err != nil {
		t.Fatal(err)
	}
	if !hasDefinition(doc.GetDefinitions().GetAdditionalProperties(), "io.k8s.api.core.v1.Pod") {
		t.Fatal("/openapi/v2 has no definition of a Pod")
	}
	// Operation IDs and tags are upstream's (detachOperationIDs).
	for _, p := range doc.GetPaths().GetPath() {
		if p.GetName() == "/api/v1/namespaces/{namespace}/pods" {
			get := p.GetValue().GetGet()
			if get.GetOperationId() != "listCoreV1NamespacedPod" || strings.Join(get.GetTags(), ",") != "core_v1" {
				t.Errorf("GET pods: operation %q, tags %v; want listCoreV1NamespacedPod, [core_v1]", get.GetOperationId(), get.GetTags())
			}
		}
	}

	cs := apiextensionsclient.NewForConfigOrDie(env.Config)
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "cogwheels.test.velad.io"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "test.velad.io",
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "cogwheels", Kind: "Cogwheel", ListKind: "CogwheelList"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
							"teeth": {Type: "integer", Description: "number of teeth"},
						}},
					},
				}},
			}},
		},
	}
	if _, err := cs.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		doc, err := dc.OpenAPISchema()
		if err != nil {
			return false, nil
		}
		return hasDefinition(doc.GetDefinitions().GetAdditionalProperties(), "io.velad.test.v1.Cogwheel") &&
			hasDefinition(doc.GetDefinitions().GetAdditionalProperties(), "io.k8s.api.apps.v1.Deployment"), nil
	})
	if err != nil {
		t.Fatalf("/openapi/v2 never held both the CRD's schema and the built-in ones: %v", err)
	}
}

// hasDefinition reports whether an OpenAPI document's named schemas include name.
func hasDefinition[T interface{ GetName() string }](defs []T, name string) bool {
	for _, d := range defs {
		if d.GetName() == name {
			return true
		}
	}
	return false
}
