// Package images makes and loads a real node's images offline. The built-in images (the
// pause sandbox image and the `hello` demo HTTP server) are generated from the velad binary
// itself: one layer holds velad and the shared libraries it links, and each image only
// differs in its entrypoint (`velad pause`, `velad hello`). User images (docker save or OCI
// archives) are imported into containerd's k8s.io namespace, where the kubelet sees them.
package images
