package helm

import (
	"encoding/json"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// ReleaseGVK is the HelmRelease version the controller reads and writes; the CRD serves
// v2beta1 and v2beta2 with the same shape.
var ReleaseGVK = schema.GroupVersionKind{Group: "helm.toolkit.fluxcd.io", Version: "v2", Kind: "HelmRelease"}

// SourceGroupVersion is the group and version of the chart sources a release refers to.
var SourceGroupVersion = schema.GroupVersion{Group: "source.toolkit.fluxcd.io", Version: "v1"}

// Finalizer keeps a HelmRelease until its Helm release is uninstalled.
const Finalizer = "helm.velad.io/uninstall"

// DigestLabel on a stored Helm release records the digest of the chart and values it was
// made from, so that a spec seen before rolls back to that revision instead of upgrading.
const DigestLabel = "helm.velad.io/digest"

// spec is the part of a HelmRelease's spec the controller acts on.
type spec struct {
	Chart struct {
		Spec chartSpec `json:"spec"`
	} `json:"chart"`
	ReleaseName      string      `json:"releaseName,omitempty"`
	TargetNamespace  string      `json:"targetNamespace,omitempty"`
	StorageNamespace string      `json:"storageNamespace,omitempty"`
	Values           valuesMap   `json:"values,omitempty"`
	ValuesFrom       []valuesRef `json:"valuesFrom,omitempty"`
	Suspend          bool        `json:"suspend,omitempty"`
	Interval         string      `json:"interval,omitempty"`
	Timeout          string      `json:"timeout,omitempty"`
	Install          struct {
		CreateNamespace bool        `json:"createNamespace,omitempty"`
		Remediation     remediation `json:"remediation,omitempty"`
	} `json:"install,omitempty"`
	Upgrade struct {
		Remediation remediation `json:"remediation,omitempty"`
	} `json:"upgrade,omitempty"`
}

// valuesMap is a values object; JSON null decodes to nil.
type valuesMap = map[string]any

type chartSpec struct {
	Chart     string    `json:"chart"`
	Version   string    `json:"version,omitempty"`
	SourceRef sourceRef `json:"sourceRef"`
}

type sourceRef struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

type valuesRef struct {
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	ValuesKey  string `json:"valuesKey,omitempty"`
	TargetPath string `json:"targetPath,omitempty"`
	Optional   bool   `json:"optional,omitempty"`
}

type remediation struct {
	Retries int `json:"retries,omitempty"`
}

// parseSpec decodes hr's spec, naming the release in errors.
func parseSpec(hr *unstructured.Unstructured) (*spec, error) {
	data, err := json.Marshal(hr.Object["spec"])
	if err != nil {
		return nil, err
	}
	s := &spec{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("HelmRelease %s/%s: invalid spec: %w", hr.GetNamespace(), hr.GetName(), err)
	}
	if s.Chart.Spec.Chart == "" {
		return nil, fmt.Errorf("HelmRelease %s/%s: spec.chart.spec.chart is empty: name the chart (or its path in the source)", hr.GetNamespace(), hr.GetName())
	}
	return s, nil
}

// releaseName is spec.releaseName, else Flux's default: [<targetNamespace>-]<name>.
func (s *spec) releaseName(hr *unstructured.Unstructured) string {
	if s.ReleaseName != "" {
		return s.ReleaseName
	}
	if s.TargetNamespace != "" && s.TargetNamespace != hr.GetNamespace() {
		return s.TargetNamespace + "-" + hr.GetName()
	}
	return hr.GetName()
}

// targetNamespace is where the chart's objects go (default: the HelmRelease's namespace).
func (s *spec) targetNamespace(hr *unstructured.Unstructured) string {
	if s.TargetNamespace != "" {
		return s.TargetNamespace
	}
	return hr.GetNamespace()
}

// storageNamespace holds the release records (default: the HelmRelease's namespace).
func (s *spec) storageNamespace(hr *unstructured.Unstructured) string {
	if s.StorageNamespace != "" {
		return s.StorageNamespace
	}
	return hr.GetNamespace()
}

// retries is how many failed attempts of one spec are retried before giving up.
func (s *spec) retries() int {
	return max(s.Install.Remediation.Retries, s.Upgrade.Remediation.Retries)
}

// interval is how often a ready release is checked again (default 10m).
func (s *spec) interval() time.Duration {
	if d, err := time.ParseDuration(s.Interval); err == nil && d > 0 {
		return d
	}
	return 10 * time.Minute
}

// timeout bounds one install, upgrade, rollback or uninstall (default 5m).
func (s *spec) timeout() time.Duration {
	if d, err := time.ParseDuration(s.Timeout); err == nil && d > 0 {
		return d
	}
	return 5 * time.Minute
}
