package multicluster

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/rest"
)

// Names and keys of KubeVela's cluster credential Secrets.
const (
	// LocalName is the name of the hub cluster; it is never stored as a Secret.
	LocalName = "local"
	// Namespace holds the cluster Secrets on the hub.
	Namespace = "vela-system"
	// MetaPrefix prefixes the registry's own labels and annotations; such labels are not
	// cluster labels.
	MetaPrefix = "cluster.core.oam.dev/"
	// LabelCredentialType marks a Secret as a cluster credential and says its kind.
	LabelCredentialType = MetaPrefix + "cluster-credential-type"
	// AnnotationAlias holds a cluster's alias.
	AnnotationAlias = MetaPrefix + "cluster-alias"
	// KeyEndpoint is the Secret key of the API server URL.
	KeyEndpoint = "endpoint"
	// KeyCA is the Secret key of the API server's CA bundle.
	KeyCA = "ca.crt"
	// KeyCert is the Secret key of the X509 client certificate.
	KeyCert = "tls.crt"
	// KeyKey is the Secret key of the X509 client key.
	KeyKey = "tls.key"
	// KeyToken is the Secret key of the bearer token.
	KeyToken = "token"
)

// CredentialType is how the hub authenticates to a cluster.
type CredentialType string

// Credential types, as KubeVela names them.
const (
	// CredentialX509 is a client certificate and key.
	CredentialX509 CredentialType = "X509Certificate"
	// CredentialToken is a (service account) bearer token.
	CredentialToken CredentialType = "ServiceAccountToken"
	// CredentialInternal is the hub's own credential (the local cluster only).
	CredentialInternal CredentialType = "Internal"
)

// Cluster is one entry of the registry.
type Cluster struct {
	// Name is the cluster name (the Secret name).
	Name string `json:"name"`
	// Alias is a display name, from the alias annotation.
	Alias string `json:"alias,omitempty"`
	// Type is the credential type.
	Type CredentialType `json:"credentialType"`
	// Endpoint is the API server URL.
	Endpoint string `json:"endpoint"`
	// Labels are the cluster labels (the Secret's labels without the registry's own).
	Labels map[string]string `json:"labels,omitempty"`
	// Health is the result of the last probe, when one ran.
	Health *Health `json:"health,omitempty"`
}

// Health is the outcome of a readiness probe.
type Health struct {
	// Healthy is true when /readyz answered ok.
	Healthy bool `json:"healthy"`
	// Message says why the cluster is unhealthy.
	Message string `json:"message,omitempty"`
	// ProbedAt is when the probe ran.
	ProbedAt time.Time `json:"probedAt"`
}

// IsLocal reports whether name denotes the hub cluster.
func IsLocal(name string) bool { return name == "" || name == LocalName }

// IsClusterSecret reports whether s is a cluster credential Secret.
func IsClusterSecret(s *corev1.Secret) bool {
	_, ok := s.Labels[LabelCredentialType]
	return ok && s.Namespace == Namespace
}

// FromSecret reads a cluster from its credential Secret.
func FromSecret(s *corev1.Secret) (*Cluster, error) {
	typ, ok := s.Labels[LabelCredentialType]
	if !ok {
		return nil, fmt.Errorf("secret %s/%s is not a cluster credential: it lacks the label %s", s.Namespace, s.Name, LabelCredentialType)
	}
	endpoint := string(s.Data[KeyEndpoint])
	if endpoint == "" {
		return nil, fmt.Errorf("cluster secret %s/%s has no %q key", s.Namespace, s.Name, KeyEndpoint)
	}
	c := &Cluster{Name: s.Name, Alias: s.Annotations[AnnotationAlias], Type: CredentialType(typ), Endpoint: endpoint}
	for k, v := range s.Labels {
		if strings.HasPrefix(k, MetaPrefix) {
			continue
		}
		if c.Labels == nil {
			c.Labels = map[string]string{}
		}
		c.Labels[k] = v
	}
	return c, nil
}

// RESTConfigFromSecret builds the client config for the cluster of a credential Secret.
func RESTConfigFromSecret(s *corev1.Secret) (*rest.Config, error) {
	c, err := FromSecret(s)
	if err != nil {
		return nil, err
	}
	cfg := &rest.Config{Host: c.Endpoint}
	cfg.CAData = s.Data[KeyCA]
	if len(cfg.CAData) == 0 {
		cfg.Insecure = true
	}
	switch c.Type {
	case CredentialX509:
		cfg.CertData, cfg.KeyData = s.Data[KeyCert], s.Data[KeyKey]
		if len(cfg.CertData) == 0 || len(cfg.KeyData) == 0 {
			return nil, fmt.Errorf("cluster %q: secret %s/%s of type %s needs both %q and %q", c.Name, s.Namespace, s.Name, c.Type, KeyCert, KeyKey)
		}
	case CredentialToken:
		cfg.BearerToken = string(s.Data[KeyToken])
		if cfg.BearerToken == "" {
			return nil, fmt.Errorf("cluster %q: secret %s/%s of type %s has no %q", c.Name, s.Namespace, s.Name, c.Type, KeyToken)
		}
	default:
		return nil, fmt.Errorf("cluster %q: credential type %q is not supported: use %s or %s", c.Name, c.Type, CredentialX509, CredentialToken)
	}
	return cfg, nil
}

// secretFor builds the credential Secret KubeVela would store for a cluster.
func secretFor(name string, cred *Credential, alias string, labels map[string]string) *corev1.Secret {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: Namespace, Labels: map[string]string{}},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{KeyEndpoint: []byte(cred.Endpoint)},
	}
	for k, v := range labels {
		s.Labels[k] = v
	}
	s.Labels[LabelCredentialType] = string(cred.Type)
	if alias != "" {
		s.Annotations = map[string]string{AnnotationAlias: alias}
	}
	if len(cred.CA) > 0 {
		s.Data[KeyCA] = cred.CA
	}
	if cred.Type == CredentialX509 {
		s.Data[KeyCert], s.Data[KeyKey] = cred.Cert, cred.Key
	} else {
		s.Data[KeyToken] = []byte(cred.Token)
	}
	return s
}

// ValidateName checks a name for a joined cluster.
func ValidateName(name string) error {
	if IsLocal(name) {
		return fmt.Errorf("%w: choose another cluster name", ErrLocal)
	}
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return fmt.Errorf("invalid cluster name %q: %s", name, strings.Join(errs, "; "))
	}
	return nil
}

// ValidateLabels checks cluster labels: valid label keys and values, none in the registry's
// own cluster.core.oam.dev/ prefix.
func ValidateLabels(labels map[string]string) error {
	var problems []string
	for _, k := range sortedKeys(labels) {
		if strings.HasPrefix(k, MetaPrefix) {
			problems = append(problems, fmt.Sprintf("label %q: the prefix %s is reserved", k, MetaPrefix))
			continue
		}
		for _, e := range validation.IsQualifiedName(k) {
			problems = append(problems, fmt.Sprintf("label key %q: %s", k, e))
		}
		for _, e := range validation.IsValidLabelValue(labels[k]) {
			problems = append(problems, fmt.Sprintf("label %q value %q: %s", k, labels[k], e))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("invalid cluster labels: %s", strings.Join(problems, "; "))
	}
	return nil
}

// ParseLabels parses "k=v" pairs, each possibly a comma-separated list, into a label map.
func ParseLabels(pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		for _, kv := range strings.Split(p, ",") {
			if kv = strings.TrimSpace(kv); kv == "" {
				continue
			}
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("invalid label %q: write key=value", kv)
			}
			out[k] = v
		}
	}
	return out, ValidateLabels(out)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
