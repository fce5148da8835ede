package addon

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckRequirements(t *testing.T) {
	cases := []struct {
		vela, kube string
		wantErr    string
	}{
		{vela: ">=1.5.0", kube: ">=1.20"},
		{vela: ">=v1.10.0", kube: "<2"},
		{vela: ">=1.11", wantErr: "addon x requires vela >=1.11, but v1.10.0 is running"},
		{kube: ">=1.38", wantErr: "addon x requires kubernetes >=1.38, but v1.37.2 is running"},
		{kube: "~1.30", wantErr: "requires kubernetes ~1.30"},
		{vela: "not a constraint", wantErr: "system.vela: bad version constraint"},
	}
	for _, tc := range cases {
		a := &Addon{Meta: Meta{Name: "x", System: &System{Vela: tc.vela, Kubernetes: tc.kube}}, Source: "x"}
		err := CheckRequirements(a, VelaVersion, "v1.37.2")
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%+v: %v", tc, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%+v: error %v, want %q", tc, err, tc.wantErr)
		}
	}
	var re *RequirementError
	err := CheckRequirements(&Addon{Meta: Meta{Name: "x", System: &System{Kubernetes: ">=1.38"}}}, VelaVersion, "v1.37.2+k3s1")
	if !errors.As(err, &re) || re.Running != "v1.37.2+k3s1" {
		t.Errorf("error = %#v", err)
	}
	if err := CheckRequirements(&Addon{Meta: Meta{Name: "x", System: &System{Kubernetes: ">=1.37"}}}, VelaVersion, "v1.37.2-rc.1"); err != nil {
		t.Errorf("pre-release suffix not ignored: %v", err)
	}
}
