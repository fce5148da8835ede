package addon

import (
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// VelaVersion is the KubeVela version velad counts as for `system.vela` requirements.
const VelaVersion = "v1.10.0"

// EmbeddedKubernetesVersion is the Kubernetes version of velad's own control plane.
const EmbeddedKubernetesVersion = "v1.37.2"

// CheckRequirements checks a's system requirements against the running versions; an
// empty version skips that check.
func CheckRequirements(a *Addon, velaVersion, kubeVersion string) error {
	if a.Meta.System == nil {
		return nil
	}
	checks := []struct{ component, constraint, running string }{
		{"vela", a.Meta.System.Vela, velaVersion},
		{"kubernetes", a.Meta.System.Kubernetes, kubeVersion},
	}
	for _, c := range checks {
		if c.constraint == "" || c.running == "" {
			continue
		}
		ok, err := satisfies(c.running, c.constraint)
		if err != nil {
			return fmt.Errorf("%s: system.%s: %w", a.Source+"/"+MetadataFile, c.component, err)
		}
		if !ok {
			return &RequirementError{Addon: a.Meta.Name, Component: c.component, Constraint: c.constraint, Running: c.running}
		}
	}
	return nil
}

// satisfies reports whether version meets constraint; pre-release and build suffixes of
// the running version ("v1.37.2-k3s1") are ignored.
func satisfies(version, constraint string) (bool, error) {
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return false, fmt.Errorf("bad version constraint %q: %w", constraint, err)
	}
	v, err := semver.NewVersion(version)
	if err != nil {
		return false, fmt.Errorf("bad running version %q: %w", version, err)
	}
	core, _ := v.SetPrerelease("")
	core, _ = core.SetMetadata("")
	return c.Check(&core), nil
}

// dependencyVersionOK checks an enabled dependency's version against a constraint.
func dependencyVersionOK(version, constraint string) (bool, error) {
	if constraint == "" {
		return true, nil
	}
	return satisfies(strings.TrimSpace(version), constraint)
}
