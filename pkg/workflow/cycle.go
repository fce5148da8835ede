package workflow

import (
	"fmt"
	"strings"

	"velad.io/velad/pkg/appfile"
)

// checkDependsOn reports unknown dependsOn names and dependency cycles among
// steps, naming the cycle ("a -> b -> a").
func checkDependsOn(steps []*appfile.Step) error {
	deps := map[string][]string{}
	for _, s := range steps {
		deps[s.Name] = nil
		if s.Spec != nil {
			deps[s.Name] = s.Spec.DependsOn
		}
	}
	for _, s := range steps {
		for _, d := range deps[s.Name] {
			if _, ok := deps[d]; !ok {
				return fmt.Errorf("step %q dependsOn %q, which is not a step at the same level", s.Name, d)
			}
		}
	}
	const (
		visiting = 1
		done     = 2
	)
	state := map[string]int{}
	var path []string
	var visit func(n string) error
	visit = func(n string) error {
		switch state[n] {
		case visiting:
			i := 0
			for path[i] != n {
				i++
			}
			return fmt.Errorf("dependsOn cycle: %s", strings.Join(append(path[i:], n), " -> "))
		case done:
			return nil
		}
		state[n] = visiting
		path = append(path, n)
		for _, d := range deps[n] {
			if err := visit(d); err != nil {
				return err
			}
		}
		path = path[:len(path)-1]
		state[n] = done
		return nil
	}
	for _, s := range steps {
		if err := visit(s.Name); err != nil {
			return err
		}
		for _, sub := range [][]*appfile.Step{s.SubSteps} {
			if err := checkDependsOn(sub); err != nil {
				return fmt.Errorf("step group %q: %w", s.Name, err)
			}
		}
	}
	return nil
}
