package addon

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotEnabled says the addon has no Application in the cluster.
var ErrNotEnabled = errors.New("addon is not enabled")

// NotFoundError says no registry has the addon; it lists the ones that exist.
type NotFoundError struct {
	// Name is the addon asked for.
	Name string
	// Available are the addon names the registries hold.
	Available []string
}

// Error implements error.
func (e *NotFoundError) Error() string {
	if len(e.Available) == 0 {
		return fmt.Sprintf("addon %q not found: no registry holds any addon", e.Name)
	}
	return fmt.Sprintf("addon %q not found; available addons: %s", e.Name, strings.Join(e.Available, ", "))
}

// CycleError says addon dependencies form a cycle.
type CycleError struct {
	// Path is the cycle, first and last element equal.
	Path []string
}

// Error implements error.
func (e *CycleError) Error() string {
	return "addon dependency cycle: " + strings.Join(e.Path, " -> ")
}

// RequirementError says the cluster does not meet an addon's system requirement.
type RequirementError struct {
	// Addon is the addon's name.
	Addon string
	// Component is "vela" or "kubernetes".
	Component string
	// Constraint is the requirement from metadata.yaml.
	Constraint string
	// Running is the version found.
	Running string
}

// Error implements error.
func (e *RequirementError) Error() string {
	return fmt.Sprintf("addon %s requires %s %s, but %s is running", e.Addon, e.Component, e.Constraint, e.Running)
}

// InUseError says Applications still use definitions of an addon being disabled.
type InUseError struct {
	// Addon is the addon's name.
	Addon string
	// Users describe each user: "application ns/app uses trait x", "addon y depends on it".
	Users []string
}

// Error implements error.
func (e *InUseError) Error() string {
	return fmt.Sprintf("addon %s is still in use: %s; remove those users first or disable with --force",
		e.Addon, strings.Join(e.Users, "; "))
}

// VersionError says a registry holds an addon, but not at the version asked for.
type VersionError struct {
	// Registry and Addon name what was searched.
	Registry, Addon string
	// Version is the version asked for.
	Version string
	// Available are the versions the registry has, newest first.
	Available []string
}

// Error implements error.
func (e *VersionError) Error() string {
	return fmt.Sprintf("addon %s has no version %s in registry %s; available versions: %s", e.Addon, e.Version, e.Registry, strings.Join(e.Available, ", "))
}
