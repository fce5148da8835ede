package helm

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ReadyMessage is the Ready condition's message once the release is current, as Flux (and
// KubeVela's helm component status) word it.
const ReadyMessage = "Release reconciliation succeeded"

// status is the part of a HelmRelease's status the controller writes (Flux's field names).
type status struct {
	ObservedGeneration        int64              `json:"observedGeneration,omitempty"`
	Conditions                []metav1.Condition `json:"conditions,omitempty"`
	LastAttemptedRevision     string             `json:"lastAttemptedRevision,omitempty"`
	LastAppliedRevision       string             `json:"lastAppliedRevision,omitempty"`
	LastAttemptedConfigDigest string             `json:"lastAttemptedConfigDigest,omitempty"`
	LastReleaseRevision       int                `json:"lastReleaseRevision,omitempty"`
	Failures                  int                `json:"failures,omitempty"`
	History                   []snapshot         `json:"history,omitempty"`
}

// snapshot is one revision of the Helm release.
type snapshot struct {
	Name         string      `json:"name"`
	Namespace    string      `json:"namespace"`
	Version      int         `json:"version"`
	Status       string      `json:"status"`
	ChartName    string      `json:"chartName,omitempty"`
	ChartVersion string      `json:"chartVersion,omitempty"`
	AppVersion   string      `json:"appVersion,omitempty"`
	ConfigDigest string      `json:"configDigest,omitempty"`
	Description  string      `json:"description,omitempty"`
	LastDeployed metav1.Time `json:"lastDeployed,omitempty"`
}

func readStatus(hr *unstructured.Unstructured) *status {
	st := &status{}
	if m, ok := hr.Object["status"].(map[string]any); ok {
		if data, err := json.Marshal(m); err == nil {
			_ = json.Unmarshal(data, st)
		}
	}
	return st
}

// ready sets Ready (first, as KubeVela's health policy reads conditions[0]) and Released true.
func (s *status) ready(detail string) {
	s.set("Ready", metav1.ConditionTrue, "ReconciliationSucceeded", ReadyMessage)
	s.set("Released", metav1.ConditionTrue, "Succeeded", detail)
}

// notReady sets Ready false with the reason and an actionable message.
func (s *status) notReady(reason, msg string) {
	s.set("Ready", metav1.ConditionFalse, reason, msg)
	s.set("Released", metav1.ConditionFalse, reason, msg)
}

func (s *status) set(t string, st metav1.ConditionStatus, reason, msg string) {
	c := metav1.Condition{Type: t, Status: st, Reason: reason, Message: msg, LastTransitionTime: metav1.Now()}
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			if s.Conditions[i].Status == st {
				c.LastTransitionTime = s.Conditions[i].LastTransitionTime
			}
			s.Conditions[i] = c
			return
		}
	}
	// Ready stays first.
	if t == "Ready" {
		s.Conditions = append([]metav1.Condition{c}, s.Conditions...)
		return
	}
	s.Conditions = append(s.Conditions, c)
}
