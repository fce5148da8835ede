package join

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// AgentGroup is the group every joining agent's bootstrap token authenticates in, besides
// system:bootstrappers.
const AgentGroup = "system:bootstrappers:velad:agents"

// agentRoles are the cluster roles the agents' group is bound to: ask for a kubelet client
// certificate, have it approved automatically, run kube-proxy, and delete its Node on leaving.
var agentRoles = map[string]string{
	"velad:agent-bootstrap":   "system:node-bootstrapper",
	"velad:agent-autoapprove": "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
	"velad:agent-proxier":     "system:node-proxier",
	leaveRole:                 leaveRole,
}

// renewBinding lets every node renew its own kubelet client certificate: the controller manager
// approves a node's CertificateSigningRequest for its own name (the kubelets of joined agents
// rotate theirs before they expire).
const renewBinding = "velad:node-autorenew"

// leaveRole lets an agent that leaves (`velad uninstall` of it) delete its Node object.
const leaveRole = "velad:agent-leave"

// Leave deletes an agent's Node object from its cluster, with the agent's bootstrap-token
// kubeconfig (kube-proxy's). A node already gone is not an error.
func Leave(ctx context.Context, kubeconfigPath, nodeName string) error {
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfigPath)
	if err != nil {
		return err
	}
	rc.Timeout = 5 * time.Second
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return err
	}
	if err := cs.CoreV1().Nodes().Delete(ctx, nodeName, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting node %s from %s: %w", nodeName, rc.Host, err)
	}
	return nil
}

// EnsureServer registers the bootstrap token derived from the cluster secret (kube-system
// Secret bootstrap-token-<id>) and binds the agents' group to what joining needs. Run on every
// start of a server: it converges to the current secret.
func EnsureServer(ctx context.Context, cs kubernetes.Interface, secret string) error {
	id, tokenSecret := BootstrapToken(secret)
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-" + id, Namespace: metav1.NamespaceSystem,
			Labels: map[string]string{"app.kubernetes.io/managed-by": "velad"}},
		Type: corev1.SecretTypeBootstrapToken,
		StringData: map[string]string{
			"description":                    "velad join: agents authenticate with this to get their kubelet certificate",
			"token-id":                       id,
			"token-secret":                   tokenSecret,
			"usage-bootstrap-authentication": "true",
			"auth-extra-groups":              AgentGroup,
		},
	}
	secrets := cs.CoreV1().Secrets(metav1.NamespaceSystem)
	if _, err := secrets.Create(ctx, s, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
		_, err = secrets.Update(ctx, s, metav1.UpdateOptions{})
		if err != nil {
			return fmt.Errorf("updating the join bootstrap token: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("creating the join bootstrap token: %w", err)
	}
	leave := &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: leaveRole, Labels: map[string]string{"app.kubernetes.io/managed-by": "velad"}},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"delete"}}},
	}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, leave, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating the %s role: %w", leaveRole, err)
	}
	for name, role := range agentRoles {
		b := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app.kubernetes.io/managed-by": "velad"}},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: AgentGroup}},
		}
		if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, b, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("binding the join group to %s: %w", role, err)
		}
	}
	renew := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: renewBinding, Labels: map[string]string{"app.kubernetes.io/managed-by": "velad"}},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:nodes"}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, renew, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("letting nodes renew their kubelet certificates (%s): %w", renewBinding, err)
	}
	return nil
}
