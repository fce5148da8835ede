package controller

import (
	"context"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

// storedCompression is the compression to write into the resource of the CRD
// named crd: want when the installed CRD keeps spec.compression, else
// CompressionNone. A CRD from before compression (an old KubeVela install, run
// with --install-crds=false) prunes the field, and the compressed snapshot
// would be lost with it; a CRD that cannot be read counts as such, with a
// warning that says why and what to do.
func storedCompression(ctx context.Context, r client.Reader, log logr.Logger, crd, want string) string {
	if want == "" || want == CompressionNone {
		return want
	}
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("apiextensions.k8s.io/v1")
	u.SetKind("CustomResourceDefinition")
	if err := r.Get(ctx, client.ObjectKey{Name: crd}, u); err != nil {
		log.Info("storing uncompressed: cannot read the CRD to check that it keeps spec.compression; grant get on customresourcedefinitions or set the compression flag to none",
			"crd", crd, "error", err.Error())
		return CompressionNone
	}
	if !keepsCompression(u) {
		log.Info("storing uncompressed: the installed CRD has no spec.compression (a KubeVela CRD older than compression); install velad's CRDs (--install-crds) to store compressed",
			"crd", crd)
		return CompressionNone
	}
	return want
}

// keepsCompression reports whether the served v1beta1 schema of crd keeps
// spec.compression (declared, or spec keeps unknown fields).
func keepsCompression(crd *unstructured.Unstructured) bool {
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	for _, v := range versions {
		ver, _ := v.(map[string]any)
		if ver["name"] != v1beta1.GroupVersion.Version {
			continue
		}
		spec, _, _ := unstructured.NestedMap(ver, "schema", "openAPIV3Schema", "properties", "spec")
		if keep, _ := spec["x-kubernetes-preserve-unknown-fields"].(bool); keep {
			return true
		}
		_, found, _ := unstructured.NestedMap(spec, "properties", "compression")
		return found
	}
	return false
}
