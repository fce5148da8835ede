package v1beta1_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	crdvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	crvalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"velad.io/velad/embedded"
	"velad.io/velad/pkg/apis/core/v1beta1"
)

// crdSchema is the checked schema of one served kind.
type crdSchema struct {
	crd        *apiextv1.CustomResourceDefinition
	structural *structuralschema.Structural
	validator  crvalidation.SchemaValidator
}

// loadCRDs parses every core.oam.dev CRD in embedded/crds, validates it as the apiserver
// would on create, and returns the schemas by kind.
func loadCRDs(t *testing.T) map[string]crdSchema {
	t.Helper()
	files, err := fs.Glob(embedded.CRDs(), "core.oam.dev_*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no core.oam.dev CRDs embedded (run hack/gen-apis.sh): %v", err)
	}
	out := map[string]crdSchema{}
	for _, f := range files {
		data, err := fs.ReadFile(embedded.CRDs(), f)
		if err != nil {
			t.Fatal(err)
		}
		crd := &apiextv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(data, crd); err != nil {
			t.Fatalf("%s: not an apiextensions.k8s.io/v1 CRD: %v", f, err)
		}
		if crd.APIVersion != "apiextensions.k8s.io/v1" || crd.Kind != "CustomResourceDefinition" {
			t.Fatalf("%s: is %s %s", f, crd.APIVersion, crd.Kind)
		}
		internal := &apiextensions.CustomResourceDefinition{}
		if err := apiextv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(crd, internal, nil); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		// The apiserver records the storage version on create; do the same before validating.
		internal.Status.StoredVersions = []string{v1beta1.Version}
		if errs := crdvalidation.ValidateCustomResourceDefinition(context.Background(), internal); len(errs) > 0 {
			t.Errorf("%s: the apiserver would reject it: %v", f, errs.ToAggregate())
		}
		if len(internal.Spec.Versions) != 1 || internal.Spec.Versions[0].Name != v1beta1.Version {
			t.Fatalf("%s: want exactly version v1beta1", f)
		}
		// Conversion hoists a schema shared by all versions to spec.validation.
		if internal.Spec.Validation == nil || internal.Spec.Validation.OpenAPIV3Schema == nil {
			t.Fatalf("%s: no schema", f)
		}
		props := internal.Spec.Validation.OpenAPIV3Schema
		s, err := structuralschema.NewStructural(props)
		if err != nil {
			t.Fatalf("%s: not structural: %v", f, err)
		}
		if errs := structuralschema.ValidateStructural(field.NewPath("schema"), s); len(errs) > 0 {
			t.Errorf("%s: not structural: %v", f, errs.ToAggregate())
		}
		v, _, err := crvalidation.NewSchemaValidator(props)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[crd.Spec.Names.Kind] = crdSchema{crd: crd, structural: s, validator: v}
	}
	return out
}

func TestCRDsCoverEveryKind(t *testing.T) {
	crds := loadCRDs(t)
	type want struct {
		scope     apiextv1.ResourceScope
		short     []string
		status    bool
		printCols []string
	}
	wants := map[string]want{
		"Application": {apiextv1.NamespaceScoped, []string{"app", "velaapp"}, true,
			[]string{"COMPONENT", "TYPE", "PHASE", "HEALTHY", "STATUS", "AGE"}},
		"ComponentDefinition":    {apiextv1.NamespaceScoped, []string{"comp"}, true, []string{"WORKLOAD-KIND", "DESCRIPTION"}},
		"TraitDefinition":        {apiextv1.NamespaceScoped, []string{"trait"}, true, []string{"APPLIES-TO", "DESCRIPTION"}},
		"PolicyDefinition":       {apiextv1.NamespaceScoped, []string{"def-policy", "policy"}, true, nil},
		"WorkflowStepDefinition": {apiextv1.NamespaceScoped, []string{"workflowstep"}, true, nil},
		"ApplicationRevision":    {apiextv1.NamespaceScoped, []string{"apprev"}, true, []string{"AGE", "PUBLISH_VERSION", "SUCCEEDED"}},
		"DefinitionRevision":     {apiextv1.NamespaceScoped, []string{"defrev", "comprev"}, false, []string{"REVISION", "HASH", "TYPE"}},
		"ResourceTracker":        {apiextv1.ClusterScoped, []string{"rt"}, true, []string{"TYPE", "APP", "APP-NS", "APP-GEN"}},
	}
	if len(crds) != len(wants) {
		t.Errorf("got %d CRDs, want %d", len(crds), len(wants))
	}
	for kind, w := range wants {
		c, ok := crds[kind]
		if !ok {
			t.Errorf("no CRD for %s", kind)
			continue
		}
		crd := c.crd
		if crd.Spec.Group != v1beta1.Group || crd.Name != crd.Spec.Names.Plural+"."+v1beta1.Group {
			t.Errorf("%s: group %s, name %s", kind, crd.Spec.Group, crd.Name)
		}
		if crd.Spec.Scope != w.scope {
			t.Errorf("%s: scope %s, want %s", kind, crd.Spec.Scope, w.scope)
		}
		if !slices.Equal(crd.Spec.Names.ShortNames, w.short) {
			t.Errorf("%s: shortNames %v, want %v", kind, crd.Spec.Names.ShortNames, w.short)
		}
		if !slices.Contains(crd.Spec.Names.Categories, "oam") {
			t.Errorf("%s: not in category oam", kind)
		}
		v := crd.Spec.Versions[0]
		if !v.Served || !v.Storage {
			t.Errorf("%s: v1beta1 not served and stored", kind)
		}
		if got := v.Subresources != nil && v.Subresources.Status != nil; got != w.status {
			t.Errorf("%s: status subresource %v, want %v", kind, got, w.status)
		}
		var cols []string
		for _, pc := range v.AdditionalPrinterColumns {
			cols = append(cols, pc.Name)
		}
		if !slices.Equal(cols, w.printCols) {
			t.Errorf("%s: printer columns %v, want %v", kind, cols, w.printCols)
		}
	}
}

// checkAgainstCRD validates obj with the kind's schema and fails if the apiserver would
// prune any of its fields.
func checkAgainstCRD(t *testing.T, c crdSchema, obj map[string]any) {
	t.Helper()
	cp := kruntime.DeepCopyJSON(obj)
	pruned := pruning.PruneWithOptions(cp, c.structural, true, structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	for _, p := range pruned {
		t.Errorf("the apiserver would prune %s", p)
	}
	// Like the apiserver, drop nulls the schema does not allow (such as an empty `traits:`)
	// before validating.
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(cp, c.structural)
	if errs := crvalidation.ValidateCustomResource(nil, cp, c.validator); len(errs) > 0 {
		t.Errorf("the apiserver would reject it: %v", errs.ToAggregate())
	}
}

// TestConformanceFitsCRDs checks that every core.oam.dev object of the corpus, as written and
// as re-encoded from the Go types, passes the CRD schema and loses no field to pruning.
func TestConformanceFitsCRDs(t *testing.T) {
	crds := loadCRDs(t)
	s := newScheme(t)
	n := 0
	for _, d := range loadConformance(t) {
		if !strings.HasPrefix(d.api, v1beta1.Group+"/") {
			continue
		}
		n++
		t.Run(d.String(), func(t *testing.T) {
			c, ok := crds[d.kind]
			if !ok {
				t.Fatalf("no CRD for kind %s", d.kind)
			}
			checkAgainstCRD(t, c, d.obj)

			obj := decodeStrict(t, s, d)
			checkAgainstCRD(t, c, toMap(t, obj))
		})
	}
	if n == 0 {
		t.Fatal("no core.oam.dev documents in the corpus")
	}
}

// TestControllerWrittenObjectsFitCRDs encodes objects shaped like those the controller writes
// (full statuses, revisions, trackers) and checks the CRDs keep them whole.
func TestControllerWrittenObjectsFitCRDs(t *testing.T) {
	crds := loadCRDs(t)
	app := sampleApplication()
	rev := &v1beta1.ApplicationRevision{
		TypeMeta: typeMeta(v1beta1.ApplicationRevisionKind),
		Spec: v1beta1.ApplicationRevisionSpec{ApplicationRevisionCompressibleFields: v1beta1.ApplicationRevisionCompressibleFields{
			Application:             *app,
			ComponentDefinitions:    map[string]*v1beta1.ComponentDefinition{"webservice": sampleComponentDefinition()},
			TraitDefinitions:        map[string]*v1beta1.TraitDefinition{"scaler": {Spec: v1beta1.TraitDefinitionSpec{PodDisruptive: true}}},
			PolicyDefinitions:       map[string]v1beta1.PolicyDefinition{"topology": {}},
			WorkflowStepDefinitions: map[string]*v1beta1.WorkflowStepDefinition{"deploy": {}},
			ReferredObjects:         []v1beta1.ReferredObject{{RawExtension: raw(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"k":"v"}}`)}},
		}},
		Status: v1beta1.ApplicationRevisionStatus{Succeeded: true, Workflow: app.Status.Workflow, WorkflowContext: map[string]string{"a": "b"}},
	}
	rev.Name = "demo-v1"
	def := sampleComponentDefinition()
	defRev := &v1beta1.DefinitionRevision{
		TypeMeta: typeMeta(v1beta1.DefinitionRevisionKind),
		Spec: v1beta1.DefinitionRevisionSpec{
			Revision: 1, RevisionHash: "abc", DefinitionType: v1beta1.ComponentType, ComponentDefinition: *def,
		},
	}
	rt := &v1beta1.ResourceTracker{
		TypeMeta: typeMeta(v1beta1.ResourceTrackerKind),
		Spec: v1beta1.ResourceTrackerSpec{
			Type: v1beta1.ResourceTrackerTypeVersioned, ApplicationGeneration: 3,
			ManagedResources: []v1beta1.ManagedResource{{
				ClusterObjectReference: v1beta1.ClusterObjectReference{Creator: v1beta1.WorkflowResourceCreator},
				OAMObjectReference:     v1beta1.OAMObjectReference{Component: "web", Trait: "scaler"},
				Data:                   ptr(raw(`{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":2}}`)),
				SkipGC:                 true,
			}},
		},
	}
	rt.Spec.ManagedResources[0].APIVersion = "apps/v1"
	rt.Spec.ManagedResources[0].Kind = "Deployment"
	rt.Spec.ManagedResources[0].Name = "web"
	for kind, obj := range map[string]kruntime.Object{
		v1beta1.ApplicationKind:         app,
		v1beta1.ApplicationRevisionKind: rev,
		v1beta1.ComponentDefinitionKind: def,
		v1beta1.DefinitionRevisionKind:  defRev,
		v1beta1.ResourceTrackerKind:     rt,
		v1beta1.TraitDefinitionKind: &v1beta1.TraitDefinition{
			TypeMeta: typeMeta(v1beta1.TraitDefinitionKind),
			Spec: v1beta1.TraitDefinitionSpec{
				AppliesToWorkloads: []string{"deployments.apps"}, PodDisruptive: true, Stage: v1beta1.PostDispatch,
				Schematic: &v1beta1.Schematic{CUE: &v1beta1.CUE{Template: "patch: {}"}},
			},
		},
		v1beta1.PolicyDefinitionKind: &v1beta1.PolicyDefinition{
			TypeMeta: typeMeta(v1beta1.PolicyDefinitionKind),
			Spec:     v1beta1.PolicyDefinitionSpec{ManageHealthCheck: true},
		},
		v1beta1.WorkflowStepDefinitionKind: &v1beta1.WorkflowStepDefinition{
			TypeMeta: typeMeta(v1beta1.WorkflowStepDefinitionKind),
			Spec: v1beta1.WorkflowStepDefinitionSpec{Schematic: &v1beta1.Schematic{KUBE: &v1beta1.Kube{
				Template:   raw(`{"apiVersion":"v1","kind":"ConfigMap"}`),
				Parameters: []v1beta1.KubeParameter{{Name: "n", ValueType: v1beta1.StringType, FieldPaths: []string{"metadata.name"}}},
			}}},
		},
	} {
		t.Run(kind, func(t *testing.T) {
			m := toMap(t, obj)
			checkAgainstCRD(t, crds[kind], m)
			// The same object must also survive a strict decode of what was encoded.
			back, _ := newScheme(t).New(v1beta1.GroupVersion.WithKind(kind))
			data, _ := json.Marshal(m)
			if err := yaml.UnmarshalStrict(data, back); err != nil {
				t.Fatal(err)
			}
			for _, l := range lostFields(m, toMap(t, back), "") {
				t.Errorf("re-decoding changed %s", l)
			}
		})
	}
}

// TestEmbeddedDefinitionsFitCRDs checks the built-in X-Definitions velad installs: each
// decodes strictly into its type and would be stored whole by the apiserver.
func TestEmbeddedDefinitionsFitCRDs(t *testing.T) {
	crds := loadCRDs(t)
	s := newScheme(t)
	defKinds := []string{v1beta1.ComponentDefinitionKind, v1beta1.TraitDefinitionKind,
		v1beta1.PolicyDefinitionKind, v1beta1.WorkflowStepDefinitionKind}
	for _, d := range loadDocs(t, embedded.Definitions()) {
		t.Run(d.String(), func(t *testing.T) {
			if !slices.Contains(defKinds, d.kind) {
				t.Fatalf("%s %s is not an X-Definition", d.api, d.kind)
			}
			checkAgainstCRD(t, crds[d.kind], toMap(t, decodeStrict(t, s, d)))
		})
	}
}

func TestLostFieldsDetectsChanges(t *testing.T) {
	want := map[string]any{"a": map[string]any{"b": 1.0, "z": false}, "l": []any{"x"}}
	if l := lostFields(want, map[string]any{"a": map[string]any{"b": 1.0}, "l": []any{"x"}, "n": ""}, ""); len(l) != 0 {
		t.Errorf("zero-valued differences reported: %v", l)
	}
	if l := lostFields(want, map[string]any{"a": map[string]any{}, "l": []any{"y"}, "n": "set"}, ""); len(l) != 3 {
		t.Errorf("want 3 differences (dropped .a.b, changed .l[0], added .n), got %v", l)
	}
}

func toMap(t *testing.T, obj any) map[string]any {
	t.Helper()
	data, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
