// Package systemd runs a cluster's server as a systemd unit `velad-<name>.service`, used when
// velad runs as root on a host whose PID 1 is systemd.
package systemd

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"velad.io/velad/pkg/cluster/internal/driver"
	"velad.io/velad/pkg/server/config"
)

// UnitDir is where unit files are written.
const UnitDir = "/etc/systemd/system"

// Driver is the systemd driver.
type Driver struct{}

var _ driver.Driver = Driver{}

// Available reports whether the host runs systemd as PID 1 and we are root.
func Available() bool {
	comm, err := os.ReadFile("/proc/1/comm")
	return err == nil && strings.TrimSpace(string(comm)) == "systemd" && os.Geteuid() == 0
}

// Name implements driver.Driver.
func (Driver) Name() string { return "systemd" }

func unitName(cfg *config.Config) string { return "velad-" + cfg.Name + ".service" }

// Unit renders the unit file for cfg.
func Unit(cfg *config.Config, exe string) string {
	return fmt.Sprintf(`[Unit]
Description=velad cluster %[1]s
Documentation=velad status --name %[1]s
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=%[2]s server --data-dir %[3]s
Restart=always
RestartSec=2s
KillMode=mixed
TimeoutStopSec=20s
LimitNOFILE=1048576
StandardOutput=append:%[4]s
StandardError=append:%[4]s

[Install]
WantedBy=multi-user.target
`, cfg.Name, exe, cfg.DataDir, cfg.LogFile())
}

// Start implements driver.Driver.
func (Driver) Start(cfg *config.Config, exe string) error {
	if err := os.MkdirAll(filepath.Dir(cfg.LogFile()), 0o700); err != nil {
		return err
	}
	path := filepath.Join(UnitDir, unitName(cfg))
	if err := os.WriteFile(path, []byte(Unit(cfg, exe)), 0o644); err != nil {
		return fmt.Errorf("writing unit %s: %w", path, err)
	}
	if err := systemctl("daemon-reload"); err != nil {
		return err
	}
	return systemctl("enable", "--now", unitName(cfg))
}

// Stop implements driver.Driver.
func (Driver) Stop(cfg *config.Config) error { return systemctl("stop", unitName(cfg)) }

// Running implements driver.Driver.
func (Driver) Running(cfg *config.Config) (int, bool) {
	out, err := exec.Command("systemctl", "show", "-p", "MainPID", "--value", unitName(cfg)).Output()
	if err != nil {
		return 0, false
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	return pid, pid > 0
}

// Remove implements driver.Driver.
func (Driver) Remove(cfg *config.Config) error {
	_ = systemctl("disable", unitName(cfg))
	if err := os.Remove(filepath.Join(UnitDir, unitName(cfg))); err != nil && !os.IsNotExist(err) {
		return err
	}
	return systemctl("daemon-reload")
}

func systemctl(args ...string) error {
	out, err := exec.Command("systemctl", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("systemctl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
