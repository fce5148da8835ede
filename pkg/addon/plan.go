package addon

import (
	"fmt"
)

// Plan returns the addons to enable for root, dependencies first and root last. Addons
// that enabled reports as enabled are skipped (their version is checked against the
// dependency's constraint); the others are found in regs. A cycle is a *CycleError.
func Plan(root *Addon, regs Registries, enabled func(name string) (version string, ok bool, err error)) ([]*Addon, error) {
	p := planner{regs: regs, enabled: enabled, state: map[string]int{}}
	if err := p.visit(root, nil); err != nil {
		return nil, err
	}
	return p.order, nil
}

type planner struct {
	regs    Registries
	enabled func(string) (string, bool, error)
	state   map[string]int // 1 while visiting, 2 when done
	order   []*Addon
}

func (p *planner) visit(a *Addon, stack []string) error {
	name := a.Meta.Name
	switch p.state[name] {
	case 1:
		for i, s := range stack {
			if s == name {
				return &CycleError{Path: append(append([]string{}, stack[i:]...), name)}
			}
		}
		return &CycleError{Path: append(append([]string{}, stack...), name)}
	case 2:
		return nil
	}
	p.state[name] = 1
	stack = append(stack, name)
	for _, d := range a.Meta.Dependencies {
		if err := p.visitDependency(a, d, stack); err != nil {
			return err
		}
	}
	p.state[name] = 2
	p.order = append(p.order, a)
	return nil
}

func (p *planner) visitDependency(a *Addon, d Dependency, stack []string) error {
	if p.state[d.Name] == 0 && p.enabled != nil {
		version, ok, err := p.enabled(d.Name)
		if err != nil {
			return err
		}
		if ok {
			return checkDependencyVersion(a, d, version, "enabled")
		}
	}
	if p.state[d.Name] != 0 {
		return p.visit(&Addon{Meta: Meta{Name: d.Name}}, stack)
	}
	dep, err := p.regs.Find(d.Name)
	if err != nil {
		return fmt.Errorf("addon %s depends on %s: %w", a.Meta.Name, d.Name, err)
	}
	if err := checkDependencyVersion(a, d, dep.Meta.Version, "available"); err != nil {
		return err
	}
	return p.visit(dep, stack)
}

func checkDependencyVersion(a *Addon, d Dependency, version, where string) error {
	ok, err := dependencyVersionOK(version, d.Version)
	if err != nil {
		return fmt.Errorf("addon %s dependency %s: %w", a.Meta.Name, d.Name, err)
	}
	if !ok {
		return fmt.Errorf("addon %s needs %s %s, but the %s version is %s", a.Meta.Name, d.Name, d.Version, where, version)
	}
	return nil
}
