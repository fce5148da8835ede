package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPlacementsFollowKubeVelaTopologyRules(t *testing.T) {
	o := &oamActions{env: &Env{Clusters: func(context.Context) ([]ClusterInfo, error) {
		return []ClusterInfo{{Name: "beijing", Labels: map[string]string{"region": "cn"}}, {Name: "paris", Labels: map[string]string{"region": "eu"}}}, nil
	}}}
	cases := []struct {
		name, props, want, err string
	}{
		{name: "no cluster means local", props: `{"namespace":"prod"}`, want: "local/prod"},
		{name: "named clusters", props: `{"clusters":["local","paris"]}`, want: "local paris"},
		{name: "label selector", props: `{"clusterLabelSelector":{"region":"cn"},"namespace":"x"}`, want: "beijing/x"},
		{name: "deprecated selector", props: `{"clusterSelector":{"region":"eu"}}`, want: "paris"},
		{name: "empty selector selects all", props: `{"clusterLabelSelector":{}}`, want: "local beijing paris"},
		{name: "empty allowed", props: `{"clusterLabelSelector":{"region":"us"},"allowEmpty":true}`, want: ""},
		{name: "empty refused", props: `{"clusterLabelSelector":{"region":"us"}}`, err: `no joined cluster has the labels region=us`},
		{name: "unknown cluster", props: `{"clusters":["tokyo"]}`, err: `cluster "tokyo" is not joined`},
		{name: "unknown field", props: `{"cluster":"paris"}`, err: `unknown field "cluster"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ps, err := o.placements(context.Background(), []namedPolicy{{name: "t", typ: "topology", props: decode(t, tc.props)}})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.String())
			}
			if s := strings.Join(got, " "); s != tc.want {
				t.Fatalf("placements = %q, want %q", s, tc.want)
			}
		})
	}
}

func TestOverrideFollowsKubeVelaMatching(t *testing.T) {
	comps := []map[string]any{
		decode(t, `{"name":"web-a","type":"webservice","properties":{"image":"a","port":80},"traits":[{"type":"scaler","properties":{"replicas":1}}]}`),
		decode(t, `{"name":"web-b","type":"webservice","properties":{"image":"b"},"traits":[]}`),
		decode(t, `{"name":"job","type":"task","properties":{"image":"j"},"traits":[]}`),
	}
	props := decode(t, `{"components":[
		{"type":"webservice","traits":[{"type":"scaler","properties":{"replicas":3}}]},
		{"name":"web-*","properties":{"image":"w"}},
		{"name":"job","type":"worker","properties":{"image":"k"}},
		{"name":"extra","type":"worker","properties":{"image":"e"}},
		{"name":"web-a","traits":[{"type":"scaler","disable":true}]}
	]}`)
	out, err := override(comps, props)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	want := `[{"name":"web-a","properties":{"image":"w","port":80},"traits":[],"type":"webservice"},` +
		`{"name":"web-b","properties":{"image":"w"},"traits":[{"properties":{"replicas":3},"type":"scaler"}],"type":"webservice"},` +
		`{"dependsOn":[],"name":"job","properties":{"image":"k"},"traits":[],"type":"worker"},` +
		`{"dependsOn":[],"name":"extra","properties":{"image":"e"},"traits":[],"type":"worker"}]`
	if string(b) != want {
		t.Fatalf("override =\n%s\nwant\n%s", b, want)
	}
	if comps[0]["properties"].(map[string]any)["image"] != "a" {
		t.Fatal("override changed its input")
	}
	sel, err := override(comps, decode(t, `{"selector":["job"]}`))
	if err != nil || len(sel) != 1 || sel[0]["name"] != "job" {
		t.Fatalf("selector: %v %v", sel, err)
	}
	if _, err := override(comps, decode(t, `{"components":[{"name":"nope"}]}`)); err == nil || !strings.Contains(err.Error(), "give its type") {
		t.Fatalf("adding without type: %v", err)
	}
}

func TestReplicateSplitsSelectedComponents(t *testing.T) {
	comps := []map[string]any{decode(t, `{"name":"rep","type":"webservice"}`), decode(t, `{"name":"solo","type":"webservice"}`)}
	out, err := replicate(comps, decode(t, `{"keys":["beijing","hangzhou"],"selector":["rep"]}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range out {
		got = append(got, fmt.Sprintf("%v/%v", c["name"], c["replicaKey"]))
	}
	if s := strings.Join(got, " "); s != "rep/beijing rep/hangzhou solo/<nil>" {
		t.Fatalf("replicas %s", s)
	}
	if _, err := replicate(comps, decode(t, `{"keys":[]}`)); err == nil {
		t.Fatal("empty keys accepted")
	}
}
