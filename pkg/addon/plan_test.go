package addon

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// registryOf builds a registry whose addons have the given dependencies ("a": "b,c").
func registryOf(deps map[string]string, versions map[string]string) Registry {
	fsys := fstest.MapFS{}
	for name, ds := range deps {
		meta := "name: " + name + "\nversion: " + orDefault(versions[name], "1.0.0") + "\n"
		if ds != "" {
			meta += "dependencies:\n"
			for _, d := range strings.Split(ds, ",") {
				n, c, _ := strings.Cut(d, "@")
				meta += "  - name: " + n + "\n"
				if c != "" {
					meta += "    version: \"" + c + "\"\n"
				}
			}
		}
		fsys[name+"/metadata.yaml"] = &fstest.MapFile{Data: []byte(meta)}
	}
	return FSRegistry("test", "(test)", fsys)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func names(as []*Addon) string {
	var out []string
	for _, a := range as {
		out = append(out, a.Meta.Name)
	}
	return strings.Join(out, ",")
}

func TestPlan(t *testing.T) {
	none := func(string) (string, bool, error) { return "", false, nil }
	cases := []struct {
		name    string
		deps    map[string]string
		enabled map[string]string
		root    string
		want    string
		wantErr string
	}{
		{name: "no dependencies", deps: map[string]string{"a": ""}, root: "a", want: "a"},
		{name: "dependencies first", deps: map[string]string{"a": "b,c", "b": "c", "c": ""}, root: "a", want: "c,b,a"},
		{name: "enabled dependency skipped", deps: map[string]string{"a": "b", "b": "c", "c": ""}, enabled: map[string]string{"b": "1.0.0"}, root: "a", want: "a"},
		{name: "cycle", deps: map[string]string{"a": "b", "b": "c", "c": "a"}, root: "a", wantErr: "addon dependency cycle: a -> b -> c -> a"},
		{name: "self cycle", deps: map[string]string{"a": "a"}, root: "a", wantErr: "cycle: a -> a"},
		{name: "missing", deps: map[string]string{"a": "nope", "b": ""}, root: "a", wantErr: `addon a depends on nope: addon "nope" not found; available addons: a, b`},
		{name: "version unmet", deps: map[string]string{"a": "b@>=2.0.0", "b": ""}, root: "a", wantErr: "addon a needs b >=2.0.0, but the available version is 1.0.0"},
		{name: "enabled version unmet", deps: map[string]string{"a": "b@>=2.0.0", "b": ""}, enabled: map[string]string{"b": "1.5.0"}, root: "a", wantErr: "but the enabled version is 1.5.0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			regs := Registries{registryOf(tc.deps, nil)}
			root, err := regs.Find(tc.root)
			if err != nil {
				t.Fatal(err)
			}
			enabled := none
			if tc.enabled != nil {
				enabled = func(n string) (string, bool, error) { v, ok := tc.enabled[n]; return v, ok, nil }
			}
			plan, err := Plan(root, regs, enabled)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := names(plan); got != tc.want {
				t.Errorf("plan = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestPlanCycleIsTyped(t *testing.T) {
	regs := Registries{registryOf(map[string]string{"a": "b", "b": "a"}, nil)}
	root, _ := regs.Find("a")
	_, err := Plan(root, regs, nil)
	var ce *CycleError
	if !errors.As(err, &ce) || len(ce.Path) != 3 {
		t.Fatalf("error = %#v", err)
	}
}

func TestFindNotFoundListsAvailable(t *testing.T) {
	regs := Registries{registryOf(map[string]string{"x": "", "y": ""}, nil), EmbeddedRegistry()}
	_, err := regs.Find("zzz")
	var nf *NotFoundError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "velad-hello") || !strings.Contains(err.Error(), "x, y") {
		t.Fatalf("error = %v", err)
	}
}
