// Package certs creates and loads the PKI of one velad cluster: the cluster CA, the
// front-proxy CA, the service-account key pair, the API server's serving certificate and the
// client certificates of the components and the admin user. It only touches files under the
// directory it is given and imports nothing from velad.
package certs
