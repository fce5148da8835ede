// Package join is how a real agent node joins a velad cluster (`velad join`): the join token
// (the server's CA hash and the cluster secret), the server's side (a bootstrap token derived
// from the secret and the RBAC that lets it ask for a node's client certificate) and the
// agent's side (trust the server by the CA hash, have the kubelet's certificate signed by the
// cluster through a CertificateSigningRequest). See docs/design/join.md.
package join
