package multicluster

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// kubeVelaSecret is a cluster Secret as KubeVela's docs write it by hand.
func kubeVelaSecret(name string, typ CredentialType, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: Namespace,
			Labels:      map[string]string{LabelCredentialType: string(typ), "region": "eu", MetaPrefix + "cluster-endpoint-type": "Const"},
			Annotations: map[string]string{AnnotationAlias: "Europe"},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{},
	}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func TestFromSecret(t *testing.T) {
	c, err := FromSecret(kubeVelaSecret("eu", CredentialToken, map[string]string{KeyEndpoint: "https://eu:6443", KeyToken: "t"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "eu" || c.Alias != "Europe" || c.Type != CredentialToken || c.Endpoint != "https://eu:6443" {
		t.Fatalf("cluster = %+v", c)
	}
	if len(c.Labels) != 1 || c.Labels["region"] != "eu" {
		t.Fatalf("labels = %v, want only region=eu (registry labels hidden)", c.Labels)
	}
	noEndpoint := kubeVelaSecret("x", CredentialToken, nil)
	if _, err := FromSecret(noEndpoint); err == nil || !strings.Contains(err.Error(), `no "endpoint" key`) {
		t.Fatalf("missing endpoint: err = %v", err)
	}
	plain := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: Namespace}}
	if _, err := FromSecret(plain); err == nil || !strings.Contains(err.Error(), LabelCredentialType) {
		t.Fatalf("unlabelled secret: err = %v", err)
	}
}

func TestRESTConfigFromSecret(t *testing.T) {
	tests := []struct {
		name    string
		typ     CredentialType
		data    map[string]string
		wantErr string
		check   func(t *testing.T, host, token string, cert, ca []byte, insecure bool)
	}{
		{name: "x509", typ: CredentialX509, data: map[string]string{KeyEndpoint: "https://a", KeyCA: "CA", KeyCert: "C", KeyKey: "K"},
			check: func(t *testing.T, host, token string, cert, ca []byte, insecure bool) {
				if host != "https://a" || string(cert) != "C" || string(ca) != "CA" || insecure || token != "" {
					t.Fatalf("host=%s cert=%s ca=%s insecure=%v token=%q", host, cert, ca, insecure, token)
				}
			}},
		{name: "token without CA is insecure", typ: CredentialToken, data: map[string]string{KeyEndpoint: "https://b", KeyToken: "tok"},
			check: func(t *testing.T, host, token string, cert, ca []byte, insecure bool) {
				if token != "tok" || !insecure || cert != nil {
					t.Fatalf("token=%q insecure=%v cert=%s", token, insecure, cert)
				}
			}},
		{name: "x509 without key", typ: CredentialX509, data: map[string]string{KeyEndpoint: "https://a", KeyCert: "C"}, wantErr: `needs both "tls.crt" and "tls.key"`},
		{name: "token missing", typ: CredentialToken, data: map[string]string{KeyEndpoint: "https://a"}, wantErr: `has no "token"`},
		{name: "unknown type", typ: "Magic", data: map[string]string{KeyEndpoint: "https://a"}, wantErr: `credential type "Magic" is not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := RESTConfigFromSecret(kubeVelaSecret("c", tt.typ, tt.data))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, cfg.Host, cfg.BearerToken, cfg.CertData, cfg.CAData, cfg.Insecure)
		})
	}
}

func writeKubeconfig(t *testing.T, user *clientcmdapi.AuthInfo, ca string) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["member"] = &clientcmdapi.Cluster{Server: "https://10.0.0.2:6443", CertificateAuthority: ca}
	kc.AuthInfos["admin"] = user
	kc.Contexts["ctx"] = &clientcmdapi.Context{Cluster: "member", AuthInfo: "admin"}
	kc.CurrentContext = "ctx"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCredentialFromKubeconfig(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"ca.crt": "CA", "c.crt": "CERT", "c.key": "KEY", "token": "TOKEN\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := writeKubeconfig(t, &clientcmdapi.AuthInfo{ClientCertificate: filepath.Join(dir, "c.crt"), ClientKey: filepath.Join(dir, "c.key")}, filepath.Join(dir, "ca.crt"))
	cred, cluster, err := CredentialFromKubeconfig(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if cluster != "member" || cred.Type != CredentialX509 || string(cred.Cert) != "CERT" || string(cred.Key) != "KEY" || string(cred.CA) != "CA" || cred.Endpoint != "https://10.0.0.2:6443" {
		t.Fatalf("x509 credential = %+v, cluster %q", cred, cluster)
	}
	path = writeKubeconfig(t, &clientcmdapi.AuthInfo{TokenFile: filepath.Join(dir, "token")}, "")
	if cred, _, err = CredentialFromKubeconfig(path, "ctx"); err != nil || cred.Type != CredentialToken || cred.Token != "TOKEN" {
		t.Fatalf("token credential = %+v, %v", cred, err)
	}
	path = writeKubeconfig(t, &clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{Command: "aws", APIVersion: "client.authentication.k8s.io/v1"}}, "")
	if _, _, err = CredentialFromKubeconfig(path, ""); err == nil || !strings.Contains(err.Error(), "exec plugins") {
		t.Fatalf("exec user: err = %v", err)
	}
	if _, _, err = CredentialFromKubeconfig(path, "nope"); err == nil || !strings.Contains(err.Error(), `no context "nope": pass one of ctx`) {
		t.Fatalf("unknown context: err = %v", err)
	}
}

func TestKubeconfigFromSecretRoundTrips(t *testing.T) {
	s := kubeVelaSecret("eu", CredentialX509, map[string]string{KeyEndpoint: "https://eu:6443", KeyCA: "CA", KeyCert: "C", KeyKey: "K"})
	data, err := KubeconfigFromSecret(s)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "kc")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cred, cluster, err := CredentialFromKubeconfig(path, "eu")
	if err != nil {
		t.Fatal(err)
	}
	back := secretFor(cluster, cred, "", nil)
	for _, k := range []string{KeyEndpoint, KeyCA, KeyCert, KeyKey} {
		if string(back.Data[k]) != string(s.Data[k]) {
			t.Fatalf("%s = %q, want %q", k, back.Data[k], s.Data[k])
		}
	}
}

func TestParseLabels(t *testing.T) {
	tests := []struct {
		in      []string
		want    map[string]string
		wantErr string
	}{
		{in: []string{"a=1,b=2", "c=3"}, want: map[string]string{"a": "1", "b": "2", "c": "3"}},
		{in: []string{"empty="}, want: map[string]string{"empty": ""}},
		{in: []string{"novalue"}, wantErr: `invalid label "novalue": write key=value`},
		{in: []string{MetaPrefix + "x=1"}, wantErr: "is reserved"},
		{in: []string{"bad key=1"}, wantErr: `label key "bad key"`},
	}
	for _, tt := range tests {
		got, err := ParseLabels(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseLabels(%v) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("ParseLabels(%v) = %v, %v", tt.in, got, err)
		}
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("ParseLabels(%v)[%s] = %q, want %q", tt.in, k, got[k], v)
			}
		}
	}
}

func TestValidateName(t *testing.T) {
	for name, want := range map[string]string{"local": "hub cluster", "": "hub cluster", "Bad_Name": "invalid cluster name", "ok-1": ""} {
		err := ValidateName(name)
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("ValidateName(%q) = %v, want %q", name, err, want)
		}
	}
}

func TestBackoffDelay(t *testing.T) {
	b := DefaultBackoff()
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	for i, w := range want {
		if got := b.Delay(i + 1); got != w {
			t.Errorf("Delay(%d) = %s, want %s", i+1, got, w)
		}
	}
	if got := b.Delay(100); got != 2*time.Minute {
		t.Errorf("Delay(100) = %s, want the 2m cap", got)
	}
}
