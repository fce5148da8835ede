package appfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sjson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/yaml"

	"velad.io/velad/pkg/cue"
)

// X-Definition kinds.
const (
	KindComponent    = "ComponentDefinition"
	KindTrait        = "TraitDefinition"
	KindPolicy       = "PolicyDefinition"
	KindWorkflowStep = "WorkflowStepDefinition"
)

// DefinitionKinds lists the X-Definition kinds in display order.
var DefinitionKinds = []string{KindComponent, KindTrait, KindPolicy, KindWorkflowStep}

// DescriptionAnnotation holds a definition's one-line description.
const DescriptionAnnotation = "definition.oam.dev/description"

// WorkloadRef is a ComponentDefinition's spec.workload.
type WorkloadRef struct {
	// APIVersion and Kind come from spec.workload.definition.
	APIVersion, Kind string
	// Type is spec.workload.type, e.g. "deployments.apps" or "autodetects.core.oam.dev".
	Type string
}

// Definition is the part of an X-Definition the renderer uses. It is built from
// the object (unstructured, so any source works) and keeps that object.
type Definition struct {
	Kind, Name, Namespace string
	// Description is the definition.oam.dev/description annotation.
	Description string
	// Template is spec.schematic.cue.template ("" for definitions without one).
	Template string
	// Workload is the ComponentDefinition's workload type.
	Workload WorkloadRef
	// PodSpecPath is spec.podSpecPath of a ComponentDefinition.
	PodSpecPath string
	// AppliesToWorkloads and ConflictsWith are TraitDefinition constraints.
	AppliesToWorkloads, ConflictsWith []string
	// PodDisruptive, ManageWorkload and SkipRevisionAffect are TraitDefinition flags.
	PodDisruptive, ManageWorkload, SkipRevisionAffect bool
	// Stage is a TraitDefinition's spec.stage: PreDispatch, DefaultDispatch ("") or PostDispatch.
	Stage string
	// Status holds spec.status.healthPolicy, customStatus and details.
	Status cue.StatusTemplates
	// Object is the definition as read.
	Object *unstructured.Unstructured
}

// IsDefinitionKind reports whether kind is one of the four X-Definition kinds.
func IsDefinitionKind(kind string) bool {
	for _, k := range DefinitionKinds {
		if k == kind {
			return true
		}
	}
	return false
}

// DefinitionFromUnstructured reads an X-Definition object.
func DefinitionFromUnstructured(u *unstructured.Unstructured) (*Definition, error) {
	if !IsDefinitionKind(u.GetKind()) {
		return nil, fmt.Errorf("%s %q is not an X-Definition", u.GetKind(), u.GetName())
	}
	if u.GetName() == "" {
		return nil, fmt.Errorf("%s without metadata.name", u.GetKind())
	}
	o := u.Object
	d := &Definition{
		Kind:        u.GetKind(),
		Name:        u.GetName(),
		Namespace:   u.GetNamespace(),
		Description: u.GetAnnotations()[DescriptionAnnotation],
		Object:      u,
	}
	d.Template, _, _ = unstructured.NestedString(o, "spec", "schematic", "cue", "template")
	d.Workload.APIVersion, _, _ = unstructured.NestedString(o, "spec", "workload", "definition", "apiVersion")
	d.Workload.Kind, _, _ = unstructured.NestedString(o, "spec", "workload", "definition", "kind")
	d.Workload.Type, _, _ = unstructured.NestedString(o, "spec", "workload", "type")
	d.PodSpecPath, _, _ = unstructured.NestedString(o, "spec", "podSpecPath")
	d.AppliesToWorkloads, _, _ = unstructured.NestedStringSlice(o, "spec", "appliesToWorkloads")
	d.ConflictsWith, _, _ = unstructured.NestedStringSlice(o, "spec", "conflictsWith")
	d.PodDisruptive, _, _ = unstructured.NestedBool(o, "spec", "podDisruptive")
	d.ManageWorkload, _, _ = unstructured.NestedBool(o, "spec", "manageWorkload")
	d.SkipRevisionAffect, _, _ = unstructured.NestedBool(o, "spec", "skipRevisionAffect")
	d.Stage, _, _ = unstructured.NestedString(o, "spec", "stage")
	d.Status.HealthPolicy, _, _ = unstructured.NestedString(o, "spec", "status", "healthPolicy")
	d.Status.CustomStatus, _, _ = unstructured.NestedString(o, "spec", "status", "customStatus")
	d.Status.Details, _, _ = unstructured.NestedString(o, "spec", "status", "details")
	if d.Template == "" && d.Kind == KindComponent && d.Workload.Kind == "" {
		return nil, fmt.Errorf("%s %q has neither spec.schematic.cue.template nor spec.workload.definition", d.Kind, d.Name)
	}
	return d, nil
}

// DefinitionFromObject reads an X-Definition from any value with its JSON
// shape, such as a typed v1beta1.TraitDefinition.
func DefinitionFromObject(obj any) (*Definition, error) {
	b, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("encoding definition: %w", err)
	}
	var m map[string]any
	if err := k8sjson.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decoding definition: %w", err)
	}
	return DefinitionFromUnstructured(&unstructured.Unstructured{Object: m})
}

// DecodeObjects splits a (multi-document) YAML or JSON stream into objects,
// skipping empty documents.
func DecodeObjects(r io.Reader) ([]*unstructured.Unstructured, error) {
	dec := yaml.NewYAMLOrJSONDecoder(r, 4096)
	var out []*unstructured.Unstructured
	for i := 0; ; i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		// k8s' json keeps whole numbers as int64, which CUE needs for `int` fields.
		var m map[string]any
		if len(bytes.TrimSpace(raw)) == 0 || string(raw) == "null" {
			continue
		}
		if err := k8sjson.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}

// DecodeDefinitions reads every X-Definition in a YAML stream and ignores other kinds.
func DecodeDefinitions(data []byte) ([]*Definition, error) {
	objs, err := DecodeObjects(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var defs []*Definition
	for _, o := range objs {
		if !IsDefinitionKind(o.GetKind()) {
			continue
		}
		d, err := DefinitionFromUnstructured(o)
		if err != nil {
			return nil, err
		}
		defs = append(defs, d)
	}
	return defs, nil
}

// kindNoun is the lower-case word used in messages ("component", "trait", ...).
func kindNoun(kind string) string {
	switch kind {
	case KindComponent:
		return "component"
	case KindTrait:
		return "trait"
	case KindPolicy:
		return "policy"
	case KindWorkflowStep:
		return "workflow step"
	}
	return strings.ToLower(kind)
}
