// Package driver defines how a cluster's server process is run on the host. Implementations:
// process (a supervised detached process) and systemd (a unit, when systemd is PID 1).
package driver

import "velad.io/velad/pkg/server/config"

// Driver starts and stops the detached `velad server` of one cluster.
type Driver interface {
	// Name identifies the driver in status output.
	Name() string
	// Start launches the server for cfg using the velad executable exe; it returns at once.
	Start(cfg *config.Config, exe string) error
	// Stop stops the server and waits until its processes are gone.
	Stop(cfg *config.Config) error
	// Running reports whether the server's supervising process is alive, and its pid.
	Running(cfg *config.Config) (pid int, running bool)
	// Remove deletes what the driver installed on the host (units, pid files).
	Remove(cfg *config.Config) error
}
