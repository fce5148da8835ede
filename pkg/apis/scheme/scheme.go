// Package scheme builds the runtime.Scheme velad's clients share: Kubernetes' built-in kinds
// plus core.oam.dev/v1beta1. It imports only API packages.
package scheme

import (
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

// New returns a scheme with the Kubernetes built-in kinds and core.oam.dev/v1beta1.
func New() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := v1beta1.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}
