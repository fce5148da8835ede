package v1beta1_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	utiljson "k8s.io/apimachinery/pkg/util/json"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/core/v1beta1/kubevelafixture"
)

// kubeVelaPack compresses raw as KubeVela's CompressedText.EncodeFrom does.
func kubeVelaPack(t *testing.T, typ string, raw []byte) string {
	t.Helper()
	data, err := kubevelafixture.Pack(typ, raw)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// kubeVelaUnpack reverses kubeVelaPack, as KubeVela's CompressedText.DecodeTo does.
func kubeVelaUnpack(t *testing.T, typ, data string) []byte {
	t.Helper()
	raw, err := kubevelafixture.Unpack(typ, data)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// snapshot is the JSON of the compressible fields of a small revision.
const snapshot = `{"application":{"apiVersion":"core.oam.dev/v1beta1","kind":"Application","metadata":{"name":"web","namespace":"default"},` +
	`"spec":{"components":[{"name":"web","type":"webservice","properties":{"image":"nginx:1.27","port":80}}]}},` +
	`"componentDefinitions":{"webservice":{"metadata":{"name":"webservice"},"spec":{"schematic":{"cue":{"template":"output: {}"}}}}},` +
	`"traitDefinitions":{"scaler":{"metadata":{"name":"scaler"},"spec":{"schematic":{"cue":{"template":"patch: {}"}}}}}}`

// kubeVelaRevision is an ApplicationRevision as KubeVela stores it with the gate of typ on.
func kubeVelaRevision(t *testing.T, typ string) []byte {
	return []byte(`{"apiVersion":"core.oam.dev/v1beta1","kind":"ApplicationRevision","metadata":{"name":"web-v1","namespace":"default"},` +
		`"spec":{"application":{"spec":{"components":[]}},"compression":{"type":"` + typ + `","data":"` + kubeVelaPack(t, typ, []byte(snapshot)) + `"}},` +
		`"status":{"succeeded":true}}`)
}

func TestKubeVelaCompressedRevisionIsRead(t *testing.T) {
	for _, typ := range []string{"gzip", "zstd"} {
		t.Run(typ, func(t *testing.T) {
			var ar v1beta1.ApplicationRevision
			if err := utiljson.Unmarshal(kubeVelaRevision(t, typ), &ar); err != nil {
				t.Fatal(err)
			}
			s := ar.Spec
			if got := len(s.Application.Spec.Components); got != 1 || s.Application.Name != "web" || s.Application.Spec.Components[0].Type != "webservice" {
				t.Fatalf("application not decoded: %+v", s.Application)
			}
			if s.ComponentDefinitions["webservice"] == nil || s.TraitDefinitions["scaler"] == nil {
				t.Fatalf("definitions not decoded: %v %v", s.ComponentDefinitions, s.TraitDefinitions)
			}
			if s.Compression.Type != typ || s.Compression.Data != "" {
				t.Fatalf("compression after reading = %+v, want only the type %q", s.Compression, typ)
			}
			if !ar.Status.Succeeded {
				t.Fatal("status lost")
			}
		})
	}
}

func TestRevisionWrittenCompressedInKubeVelasFormat(t *testing.T) {
	var want v1beta1.ApplicationRevisionSpec
	if err := utiljson.Unmarshal([]byte(snapshot), &want); err != nil {
		t.Fatal(err)
	}
	plain, err := json.Marshal(want.ApplicationRevisionCompressibleFields)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{"gzip", "zstd"} {
		t.Run(typ, func(t *testing.T) {
			spec := *want.DeepCopy()
			spec.Compression.Type = typ
			out, err := json.Marshal(v1beta1.ApplicationRevision{Spec: spec})
			if err != nil {
				t.Fatal(err)
			}
			var stored struct {
				Spec map[string]json.RawMessage `json:"spec"`
			}
			if err := json.Unmarshal(out, &stored); err != nil {
				t.Fatal(err)
			}
			var c v1beta1.CompressedText
			if err := json.Unmarshal(stored.Spec["compression"], &c); err != nil || c.Type != typ {
				t.Fatalf("spec.compression = %s (%v)", stored.Spec["compression"], err)
			}
			if _, ok := stored.Spec["componentDefinitions"]; ok {
				t.Fatal("componentDefinitions stored beside the compressed data")
			}
			if !strings.Contains(string(stored.Spec["application"]), `"components":[]`) {
				t.Fatalf("application placeholder = %s, want the empty components the CRD requires", stored.Spec["application"])
			}
			// What KubeVela decodes: the JSON of the compressible fields.
			if got := kubeVelaUnpack(t, typ, c.Data); !bytes.Equal(got, plain) {
				t.Fatalf("compressed payload\n%s\nwant\n%s", got, plain)
			}
			if len(out) >= len(plain) {
				t.Fatalf("compressed object is %d bytes, the snapshot alone %d", len(out), len(plain))
			}
			var back v1beta1.ApplicationRevision
			if err := utiljson.Unmarshal(out, &back); err != nil {
				t.Fatal(err)
			}
			again, _ := json.Marshal(back.Spec.ApplicationRevisionCompressibleFields)
			if !bytes.Equal(again, plain) {
				t.Fatalf("round trip\n%s\nwant\n%s", again, plain)
			}
		})
	}
}

func TestKubeVelaCompressedTrackerIsReadAndWritten(t *testing.T) {
	resources := `[{"apiVersion":"apps/v1","kind":"Deployment","namespace":"default","name":"web","component":"web","raw":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"}}},` +
		`{"apiVersion":"v1","kind":"Service","namespace":"default","name":"web","component":"web","deleted":true}]`
	for _, typ := range []string{"gzip", "zstd"} {
		t.Run(typ, func(t *testing.T) {
			in := `{"metadata":{"name":"web-v1-default"},"spec":{"type":"versioned","applicationGeneration":3,` +
				`"compression":{"type":"` + typ + `","data":"` + kubeVelaPack(t, typ, []byte(resources)) + `"}}}`
			var rt v1beta1.ResourceTracker
			if err := utiljson.Unmarshal([]byte(in), &rt); err != nil {
				t.Fatal(err)
			}
			mrs := rt.Spec.ManagedResources
			if len(mrs) != 2 || mrs[0].Kind != "Deployment" || mrs[0].Data == nil || !mrs[1].Deleted || rt.Spec.ApplicationGeneration != 3 {
				t.Fatalf("tracker not decoded: %+v", rt.Spec)
			}
			out, err := json.Marshal(rt)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(out), "managedResources") || !strings.Contains(string(out), `"type":"`+typ+`"`) {
				t.Fatalf("tracker read compressed is not written back compressed: %s", out)
			}
			var back v1beta1.ResourceTracker
			if err := utiljson.Unmarshal(out, &back); err != nil {
				t.Fatal(err)
			}
			if len(back.Spec.ManagedResources) != 2 || back.Spec.ManagedResources[0].Name != "web" {
				t.Fatalf("round trip: %+v", back.Spec)
			}
		})
	}
}

func TestCorruptCompressedDataNamesTheObject(t *testing.T) {
	valid := kubeVelaPack(t, "gzip", []byte(snapshot))
	for name, tc := range map[string]struct{ typ, data, want string }{
		"base64":      {"zstd", "not base64!", "not standard base64"},
		"zstd":        {"zstd", base64.StdEncoding.EncodeToString([]byte("not zstd at all")), "not valid zstd"},
		"gzip":        {"gzip", base64.StdEncoding.EncodeToString([]byte("not gzip at all")), "not valid gzip"},
		"wrong type":  {"zstd", valid, "not valid zstd"},
		"unsupported": {"lz4", valid, "unsupported compression type"},
		"empty":       {"gzip", "", "no data"},
		"not json":    {"gzip", kubeVelaPack(t, "gzip", []byte("{oops")), "not the expected JSON"},
	} {
		t.Run(name, func(t *testing.T) {
			in := `{"metadata":{"name":"web-v2","namespace":"team-a"},"spec":{"application":{"spec":{"components":[]}},` +
				`"compression":{"type":"` + tc.typ + `","data":"` + tc.data + `"}}}`
			var ar v1beta1.ApplicationRevision
			err := utiljson.Unmarshal([]byte(in), &ar)
			if err == nil {
				t.Fatal("corrupt data was accepted")
			}
			for _, part := range []string{"ApplicationRevision web-v2 in namespace team-a", "spec.compression", tc.want} {
				if !strings.Contains(err.Error(), part) {
					t.Fatalf("error %q does not say %q", err, part)
				}
			}
			var list v1beta1.ApplicationRevisionList
			err = utiljson.Unmarshal([]byte(`{"items":[`+in+`]}`), &list)
			if err == nil || !strings.Contains(err.Error(), "web-v2") {
				t.Fatalf("listing: error %v does not name the revision", err)
			}
		})
	}
	in := `{"metadata":{"name":"web-default"},"spec":{"compression":{"type":"zstd","data":"%%%"}}}`
	var rt v1beta1.ResourceTracker
	if err := utiljson.Unmarshal([]byte(in), &rt); err == nil || !strings.Contains(err.Error(), "ResourceTracker web-default:") {
		t.Fatalf("tracker error %v does not name the tracker", err)
	}
}
