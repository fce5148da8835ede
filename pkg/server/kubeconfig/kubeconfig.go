// Package kubeconfig writes the kubeconfig files of a velad cluster from its PKI. It imports
// only the certs package of velad.
package kubeconfig

import (
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"velad.io/velad/pkg/server/certs"
)

// Write stores a kubeconfig (mode 0600) at path for the client certificate certBase from
// certDir, pointing at server, with context and cluster named contextName.
func Write(path, server, contextName, certDir, certBase string) error {
	crt, err := os.ReadFile(filepath.Join(certDir, certBase+".crt"))
	if err != nil {
		return fmt.Errorf("reading client certificate: %w", err)
	}
	key, err := os.ReadFile(filepath.Join(certDir, certBase+".key"))
	if err != nil {
		return fmt.Errorf("reading client key: %w", err)
	}
	return save(path, server, contextName, certDir, certBase+"@"+contextName, &clientcmdapi.AuthInfo{ClientCertificateData: crt, ClientKeyData: key})
}

// WriteFiles stores a kubeconfig (mode 0600) at path whose client certificate and key are read
// from certFile and keyFile each time it is loaded (files another process renews, such as the
// kubelet's rotated kubelet-client-current.pem), trusting the cluster CA from certDir.
func WriteFiles(path, server, contextName, certDir, user, certFile, keyFile string) error {
	return save(path, server, contextName, certDir, user+"@"+contextName, &clientcmdapi.AuthInfo{ClientCertificate: certFile, ClientKey: keyFile})
}

// WriteToken stores a kubeconfig (mode 0600) at path that authenticates with a bearer token,
// trusting the cluster CA from certDir.
func WriteToken(path, server, contextName, certDir, user, token string) error {
	return save(path, server, contextName, certDir, user+"@"+contextName, &clientcmdapi.AuthInfo{Token: token})
}

// save writes the kubeconfig of user, authenticated by auth, trusting the cluster CA from certDir.
func save(path, server, contextName, certDir, user string, auth *clientcmdapi.AuthInfo) error {
	ca, err := os.ReadFile(filepath.Join(certDir, certs.CA+".crt"))
	if err != nil {
		return fmt.Errorf("reading cluster CA: %w", err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[contextName] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: ca}
	cfg.AuthInfos[user] = auth
	cfg.Contexts[contextName] = &clientcmdapi.Context{Cluster: contextName, AuthInfo: user}
	cfg.CurrentContext = contextName
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}
