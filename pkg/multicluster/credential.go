package multicluster

import (
	"fmt"
	"os"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// Credential is what the hub needs to reach a cluster.
type Credential struct {
	// Endpoint is the API server URL.
	Endpoint string
	// CA is the API server's CA bundle (PEM); empty skips verification.
	CA []byte
	// Type says which of Cert/Key or Token is set.
	Type CredentialType
	// Cert and Key are the PEM client certificate and key (X509Certificate).
	Cert, Key []byte
	// Token is the bearer token (ServiceAccountToken).
	Token string
}

// restConfig returns the client config for the credential.
func (c *Credential) restConfig() *rest.Config {
	cfg := &rest.Config{Host: c.Endpoint, BearerToken: c.Token}
	cfg.CAData, cfg.CertData, cfg.KeyData = c.CA, c.Cert, c.Key
	cfg.Insecure = len(c.CA) == 0
	return cfg
}

// CredentialFromKubeconfig reads the credential of a kubeconfig context (the current context
// when contextName is empty). It also returns the kubeconfig's cluster name, the default
// name of a joined cluster.
func CredentialFromKubeconfig(path, contextName string) (*Credential, string, error) {
	kc, err := clientcmd.LoadFromFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("reading kubeconfig %s: %w", path, err)
	}
	if contextName == "" {
		contextName = kc.CurrentContext
	}
	kctx, ok := kc.Contexts[contextName]
	if !ok {
		return nil, "", fmt.Errorf("kubeconfig %s has no context %q: pass one of %s with --context", path, contextName, strings.Join(contextNames(kc), ", "))
	}
	cluster, ok := kc.Clusters[kctx.Cluster]
	if !ok || cluster.Server == "" {
		return nil, "", fmt.Errorf("kubeconfig %s: context %q names cluster %q, which has no server address", path, contextName, kctx.Cluster)
	}
	user := kc.AuthInfos[kctx.AuthInfo]
	if user == nil {
		return nil, "", fmt.Errorf("kubeconfig %s: context %q names user %q, which is not defined", path, contextName, kctx.AuthInfo)
	}
	cred := &Credential{Endpoint: cluster.Server}
	if cred.CA, err = dataOrFile(cluster.CertificateAuthorityData, cluster.CertificateAuthority); err != nil {
		return nil, "", fmt.Errorf("kubeconfig %s: reading the CA of cluster %q: %w", path, kctx.Cluster, err)
	}
	if err := readUser(cred, user); err != nil {
		return nil, "", fmt.Errorf("kubeconfig %s: user %q: %w", path, kctx.AuthInfo, err)
	}
	return cred, kctx.Cluster, nil
}

// readUser fills the client credential: a client certificate, else a token.
func readUser(cred *Credential, user *clientcmdapi.AuthInfo) error {
	var err error
	if cred.Cert, err = dataOrFile(user.ClientCertificateData, user.ClientCertificate); err != nil {
		return err
	}
	if cred.Key, err = dataOrFile(user.ClientKeyData, user.ClientKey); err != nil {
		return err
	}
	if len(cred.Cert) > 0 && len(cred.Key) > 0 {
		cred.Type = CredentialX509
		return nil
	}
	cred.Cert, cred.Key = nil, nil
	cred.Token = user.Token
	if cred.Token == "" && user.TokenFile != "" {
		data, err := os.ReadFile(user.TokenFile)
		if err != nil {
			return err
		}
		cred.Token = strings.TrimSpace(string(data))
	}
	if cred.Token == "" {
		return fmt.Errorf("no client certificate and key nor token: only %s and %s credentials can be stored (exec plugins and auth providers cannot)", CredentialX509, CredentialToken)
	}
	cred.Type = CredentialToken
	return nil
}

func dataOrFile(data []byte, file string) ([]byte, error) {
	if len(data) > 0 || file == "" {
		return data, nil
	}
	return os.ReadFile(file)
}

func contextNames(kc *clientcmdapi.Config) []string {
	names := make([]string, 0, len(kc.Contexts))
	for n := range kc.Contexts {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return []string{"(none)"}
	}
	return names
}

// KubeconfigFromSecret returns a kubeconfig (YAML) reaching the cluster of a credential Secret,
// with its cluster, user and context named after the cluster.
func KubeconfigFromSecret(s *corev1.Secret) ([]byte, error) {
	cfg, err := RESTConfigFromSecret(s)
	if err != nil {
		return nil, err
	}
	name := s.Name
	kc := clientcmdapi.NewConfig()
	kc.Clusters[name] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData, InsecureSkipTLSVerify: cfg.Insecure}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	kc.CurrentContext = name
	return clientcmd.Write(*kc)
}
