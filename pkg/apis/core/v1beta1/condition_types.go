package v1beta1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ConditionType is the type of a Condition; a resource has at most one of each.
type ConditionType string

// Condition types. Applications report one condition per reconcile phase.
const (
	// TypeReady is true when the resource is ready; on an Application, when the whole
	// reconcile succeeded.
	TypeReady ConditionType = "Ready"
	// TypeSynced is true when the resource is in sync with what manages it.
	TypeSynced ConditionType = "Synced"

	// ConditionParsed reports whether the Application parsed into an appfile.
	ConditionParsed ConditionType = "Parsed"
	// ConditionRevision reports whether the ApplicationRevision was produced.
	ConditionRevision ConditionType = "Revision"
	// ConditionPolicy reports whether the policies were generated.
	ConditionPolicy ConditionType = "Policy"
	// ConditionRender reports whether the components rendered.
	ConditionRender ConditionType = "Render"
	// ConditionWorkflow reports whether the workflow ran without error.
	ConditionWorkflow ConditionType = "Workflow"
	// ConditionReady is the Application's overall Ready condition.
	ConditionReady ConditionType = TypeReady
)

// ConditionReason is a CamelCase reason for a condition's last transition.
type ConditionReason string

// Condition reasons.
const (
	// ReasonAvailable: the resource is available.
	ReasonAvailable ConditionReason = "Available"
	// ReasonUnavailable: the resource is not available.
	ReasonUnavailable ConditionReason = "Unavailable"
	// ReasonCreating: the resource is being created.
	ReasonCreating ConditionReason = "Creating"
	// ReasonDeleting: the resource is being deleted.
	ReasonDeleting ConditionReason = "Deleting"
	// ReasonReconcileSuccess: the last reconcile succeeded.
	ReasonReconcileSuccess ConditionReason = "ReconcileSuccess"
	// ReasonReconcileError: the last reconcile failed; the message says why.
	ReasonReconcileError ConditionReason = "ReconcileError"
)

// Condition is one observed aspect of a resource's state.
type Condition struct {
	// Type of the condition.
	Type ConditionType `json:"type"`

	// Status of the condition: True, False or Unknown.
	Status corev1.ConditionStatus `json:"status"`

	// LastTransitionTime is when Status last changed. Nullable so that a condition set
	// without a time is stored rather than rejected.
	// +nullable
	LastTransitionTime metav1.Time `json:"lastTransitionTime"`

	// Reason is a CamelCase reason for the last transition.
	Reason ConditionReason `json:"reason"`

	// Message is a human-readable explanation of the last transition.
	// +optional
	Message string `json:"message,omitempty"`
}

// Equal reports whether c and other match, ignoring LastTransitionTime.
func (c Condition) Equal(other Condition) bool {
	return c.Type == other.Type && c.Status == other.Status &&
		c.Reason == other.Reason && c.Message == other.Message
}

// ConditionedStatus is a status made of conditions, at most one per type.
type ConditionedStatus struct {
	// Conditions of the resource.
	// +optional
	Conditions []Condition `json:"conditions,omitempty"`
}

// GetCondition returns the condition of type t, or an Unknown condition if there is none.
func (s *ConditionedStatus) GetCondition(t ConditionType) Condition {
	for _, c := range s.Conditions {
		if c.Type == t {
			return c
		}
	}
	return Condition{Type: t, Status: corev1.ConditionUnknown}
}

// SetConditions replaces the conditions of the same types, or appends them. A condition
// equal (see Condition.Equal) to the existing one is left alone so that its transition time
// is kept.
func (s *ConditionedStatus) SetConditions(cs ...Condition) {
	for _, c := range cs {
		found := false
		for i := range s.Conditions {
			if s.Conditions[i].Type != c.Type {
				continue
			}
			found = true
			if !s.Conditions[i].Equal(c) {
				s.Conditions[i] = c
			}
		}
		if !found {
			s.Conditions = append(s.Conditions, c)
		}
	}
}

// ReadyCondition returns a True condition of type t with reason Available.
func ReadyCondition(t ConditionType) Condition {
	return Condition{Type: t, Status: corev1.ConditionTrue, Reason: ReasonAvailable, LastTransitionTime: metav1.Now()}
}

// ErrorCondition returns a False condition of type t with reason ReconcileError and err's text.
func ErrorCondition(t ConditionType, err error) Condition {
	return Condition{
		Type: t, Status: corev1.ConditionFalse, Reason: ReasonReconcileError,
		Message: err.Error(), LastTransitionTime: metav1.Now(),
	}
}
