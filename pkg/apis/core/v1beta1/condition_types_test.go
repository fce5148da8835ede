package v1beta1_test

import (
	"errors"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

func TestConditionedStatus(t *testing.T) {
	var s v1beta1.ConditionedStatus
	if c := s.GetCondition(v1beta1.ConditionParsed); c.Status != corev1.ConditionUnknown || c.Type != v1beta1.ConditionParsed {
		t.Fatalf("missing condition = %+v, want Unknown", c)
	}

	old := metav1.NewTime(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	ready := v1beta1.ReadyCondition(v1beta1.ConditionParsed)
	ready.LastTransitionTime = old
	s.SetConditions(ready)

	// Setting an equal condition keeps the original transition time.
	s.SetConditions(v1beta1.ReadyCondition(v1beta1.ConditionParsed))
	if got := s.GetCondition(v1beta1.ConditionParsed); !got.LastTransitionTime.Equal(&old) {
		t.Errorf("equal condition replaced the transition time: %v", got.LastTransitionTime)
	}

	// A changed condition replaces the old one; other types are appended.
	s.SetConditions(v1beta1.ErrorCondition(v1beta1.ConditionParsed, errors.New("boom")),
		v1beta1.ReadyCondition(v1beta1.ConditionRender))
	if len(s.Conditions) != 2 {
		t.Fatalf("conditions = %+v, want Parsed and Render", s.Conditions)
	}
	got := s.GetCondition(v1beta1.ConditionParsed)
	if got.Status != corev1.ConditionFalse || got.Reason != v1beta1.ReasonReconcileError || got.Message != "boom" {
		t.Errorf("Parsed = %+v", got)
	}
	if s.GetCondition(v1beta1.ConditionRender).Status != corev1.ConditionTrue {
		t.Error("Render not True")
	}
}

func TestApplicationStatusEmbedsConditions(t *testing.T) {
	app := sampleApplication()
	if app.Status.GetCondition(v1beta1.ConditionRender).Message == "" {
		t.Fatal("promoted SetConditions/GetCondition do not reach AppStatus")
	}
	m := toMap(t, app)
	status := m["status"].(map[string]any)
	if _, ok := status["conditions"]; !ok {
		t.Errorf("conditions are not inlined in status: %v", status)
	}
	if status["status"] != "running" {
		t.Errorf("phase is encoded as %v, want status.status=running", status["status"])
	}
}
