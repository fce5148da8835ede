package controller

import (
	"encoding/json"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
)

// Resource policy types the controller enforces itself (KubeVela's names).
const (
	policyGarbageCollect = "garbage-collect"
	policyApplyOnce      = "apply-once"
	policyReadOnly       = "read-only"
	policyTakeOver       = "take-over"
	policySharedResource = "shared-resource"
	policyResourceUpdate = "resource-update"
)

// Garbage-collect strategies and propagations.
const (
	gcOnAppUpdate = "onAppUpdate"
	gcOnAppDelete = "onAppDelete"
	gcNever       = "never"
	// gcOrderDependency deletes dependents before what they depend on.
	gcOrderDependency = "dependency"
	propagationOrphan = "orphan"
)

// Apply-once affect values: when the drift a rule allows is kept.
const (
	affectOnUpdate    = "onUpdate"
	affectOnStateKeep = "onStateKeep"
	affectAlways      = "always"
)

// resourceSelector picks resources by KubeVela's rule selector: every
// non-empty list must contain the resource's value, and at least one list
// must be non-empty.
type resourceSelector struct {
	ComponentNames []string `json:"componentNames,omitempty"`
	ComponentTypes []string `json:"componentTypes,omitempty"`
	OAMTypes       []string `json:"oamTypes,omitempty"`
	TraitTypes     []string `json:"traitTypes,omitempty"`
	ResourceTypes  []string `json:"resourceTypes,omitempty"`
	ResourceNames  []string `json:"resourceNames,omitempty"`
}

// match reports whether o is selected.
func (s *resourceSelector) match(o *unstructured.Unstructured) bool {
	l := o.GetLabels()
	matched := false
	for _, c := range []struct {
		list []string
		val  string
	}{
		{s.ComponentNames, l[oam.LabelAppComponent]}, {s.ComponentTypes, l[oam.WorkloadTypeLabel]},
		{s.OAMTypes, l[oam.LabelOAMResourceType]}, {s.TraitTypes, l[oam.TraitTypeLabel]},
		{s.ResourceTypes, o.GetKind()}, {s.ResourceNames, o.GetName()},
	} {
		if len(c.list) == 0 {
			continue
		}
		if c.val == "" || !slices.Contains(c.list, c.val) {
			return false
		}
		matched = true
	}
	return matched
}

type gcRule struct {
	Selector    resourceSelector `json:"selector"`
	Strategy    string           `json:"strategy,omitempty"`
	Propagation string           `json:"propagation,omitempty"`
}

type gcPolicy struct {
	KeepLegacyResource bool     `json:"keepLegacyResource,omitempty"`
	ContinueOnFailure  bool     `json:"continueOnFailure,omitempty"`
	Order              string   `json:"order,omitempty"`
	Rules              []gcRule `json:"rules,omitempty"`
}

// applyOnceStrategy names the fields that may drift and when.
type applyOnceStrategy struct {
	Path   []string `json:"path"`
	Affect string   `json:"affect,omitempty"`
}

// covers reports whether the strategy applies at stage (affectOnUpdate or affectOnStateKeep).
func (s *applyOnceStrategy) covers(stage string) bool {
	return s.Affect == "" || s.Affect == affectAlways || s.Affect == stage
}

// whole reports whether the whole resource may drift.
func (s *applyOnceStrategy) whole() bool { return slices.Contains(s.Path, "*") }

type applyOnceRule struct {
	Selector resourceSelector   `json:"selector,omitempty"`
	Strategy *applyOnceStrategy `json:"strategy,omitempty"`
}

type applyOncePolicy struct {
	Enable bool            `json:"enable"`
	Rules  []applyOnceRule `json:"rules,omitempty"`
}

type selectorRule struct {
	Selector resourceSelector `json:"selector"`
}

type selectorPolicy struct {
	Rules []selectorRule `json:"rules,omitempty"`
}

type updateRule struct {
	Selector resourceSelector `json:"selector"`
	Strategy struct {
		Op             string   `json:"op,omitempty"`
		RecreateFields []string `json:"recreateFields,omitempty"`
	} `json:"strategy,omitempty"`
}

type updatePolicy struct {
	Rules []updateRule `json:"rules,omitempty"`
}

// resourcePolicies are an Application's policies that decide how its
// resources are applied, kept and deleted. Several policies of one type add
// their rules up; the first matching rule wins.
type resourcePolicies struct {
	gc                         gcPolicy
	applyOnce                  applyOncePolicy
	readOnly, takeOver, shared selectorPolicy
	update                     updatePolicy
}

// parseResourcePolicies reads the resource policies of app.
func parseResourcePolicies(app *v1beta1.Application) (*resourcePolicies, error) {
	p := &resourcePolicies{}
	for _, pol := range app.Spec.Policies {
		var target any
		switch pol.Type {
		case policyGarbageCollect:
			var gc gcPolicy
			if err := decodeProperties(pol, &gc); err != nil {
				return nil, err
			}
			p.gc.KeepLegacyResource = p.gc.KeepLegacyResource || gc.KeepLegacyResource
			p.gc.ContinueOnFailure = p.gc.ContinueOnFailure || gc.ContinueOnFailure
			if gc.Order != "" {
				p.gc.Order = gc.Order
			}
			p.gc.Rules = append(p.gc.Rules, gc.Rules...)
			continue
		case policyApplyOnce:
			var ao applyOncePolicy
			if err := decodeProperties(pol, &ao); err != nil {
				return nil, err
			}
			p.applyOnce.Enable = p.applyOnce.Enable || ao.Enable
			p.applyOnce.Rules = append(p.applyOnce.Rules, ao.Rules...)
			continue
		case policyReadOnly:
			target = &p.readOnly
		case policyTakeOver:
			target = &p.takeOver
		case policySharedResource:
			target = &p.shared
		case policyResourceUpdate:
			target = &p.update
		default:
			continue
		}
		if err := decodeAppending(pol, target); err != nil {
			return nil, err
		}
	}
	for _, r := range p.gc.Rules {
		switch r.Strategy {
		case "", gcOnAppUpdate, gcOnAppDelete, gcNever:
		default:
			return nil, fmt.Errorf("garbage-collect policy: strategy %q is not one of onAppUpdate, onAppDelete, never", r.Strategy)
		}
	}
	return p, nil
}

// decodeAppending decodes a selector-rule policy and appends its rules to target.
func decodeAppending(pol v1beta1.AppPolicy, target any) error {
	switch t := target.(type) {
	case *selectorPolicy:
		var x selectorPolicy
		if err := decodeProperties(pol, &x); err != nil {
			return err
		}
		t.Rules = append(t.Rules, x.Rules...)
	case *updatePolicy:
		var x updatePolicy
		if err := decodeProperties(pol, &x); err != nil {
			return err
		}
		t.Rules = append(t.Rules, x.Rules...)
	}
	return nil
}

func decodeProperties(pol v1beta1.AppPolicy, into any) error {
	if pol.Properties == nil || len(pol.Properties.Raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(pol.Properties.Raw, into); err != nil {
		return fmt.Errorf("policy %q (type %s): reading properties: %w", pol.Name, pol.Type, err)
	}
	return nil
}

func (p selectorPolicy) matches(o *unstructured.Unstructured) bool {
	for i := range p.Rules {
		if p.Rules[i].Selector.match(o) {
			return true
		}
	}
	return false
}

// gcStrategy is the strategy and propagation of the first gc rule selecting o.
func (p *resourcePolicies) gcStrategy(o *unstructured.Unstructured) (strategy, propagation string) {
	for i := range p.gc.Rules {
		if r := p.gc.Rules[i]; r.Selector.match(o) {
			if r.Strategy == "" {
				r.Strategy = gcOnAppUpdate
			}
			return r.Strategy, r.Propagation
		}
	}
	return gcOnAppUpdate, ""
}

// applyOnceAll reports apply-once for the whole application: enabled without rules.
func (p *resourcePolicies) applyOnceAll() bool {
	return p.applyOnce.Enable && len(p.applyOnce.Rules) == 0
}

// applyOnceFor is the apply-once strategy of the first rule selecting o (nil: none).
func (p *resourcePolicies) applyOnceFor(o *unstructured.Unstructured) *applyOnceStrategy {
	if !p.applyOnce.Enable {
		return nil
	}
	for i := range p.applyOnce.Rules {
		if r := p.applyOnce.Rules[i]; r.Selector.match(o) {
			return r.Strategy
		}
	}
	return nil
}

// isReadOnly reports whether o must never be written.
func (p *resourcePolicies) isReadOnly(o *unstructured.Unstructured) bool {
	return p.readOnly.matches(o)
}

// canTakeOver reports whether o may be adopted when no application owns it.
func (p *resourcePolicies) canTakeOver(o *unstructured.Unstructured) bool {
	return p.takeOver.matches(o)
}

// isShared reports whether o may be shared with other applications.
func (p *resourcePolicies) isShared(o *unstructured.Unstructured) bool { return p.shared.matches(o) }

// readsLive reports whether a policy decides what to do with o at stage
// (affectOnUpdate or affectOnStateKeep) from more of the live object than
// its owner: read-only, shared-resource (the sharers), apply-once (the kept
// paths) and, on update, resource-update recreateFields.
func (p *resourcePolicies) readsLive(o *unstructured.Unstructured, stage string) bool {
	if p.isReadOnly(o) || p.isShared(o) {
		return true
	}
	if s := p.applyOnceFor(o); s != nil && s.covers(stage) {
		return true
	}
	return stage == affectOnUpdate && len(p.recreateFields(o)) > 0
}

// recreateFields are the fields whose change makes o be deleted and created again.
func (p *resourcePolicies) recreateFields(o *unstructured.Unstructured) []string {
	for i := range p.update.Rules {
		if r := p.update.Rules[i]; r.Selector.match(o) {
			return r.Strategy.RecreateFields
		}
	}
	return nil
}

// resourcePolicies returns the Application's resource policies, read once.
func (s *appState) resourcePolicies() (*resourcePolicies, error) {
	if s.policies != nil {
		return s.policies, nil
	}
	p, err := parseResourcePolicies(s.app)
	if err != nil {
		return nil, err
	}
	s.policies = p
	return p, nil
}
