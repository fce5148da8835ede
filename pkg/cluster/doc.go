// Package cluster manages the life of velad clusters on this host: install, start, stop,
// uninstall, status and kubeconfig. Each cluster is a data dir holding its config; its server
// runs detached through a driver (internal/driver/process or internal/driver/systemd). The
// package is the library behind `velad` commands and must not import pkg/cli.
package cluster
