package application

import (
	"errors"
	"strings"
	"testing"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

func TestSetStepPhasesMovesGroupsWithTheirSubSteps(t *testing.T) {
	steps := []v1beta1.WorkflowStepStatus{
		{StepStatus: v1beta1.StepStatus{Name: "a", Phase: v1beta1.WorkflowStepPhaseSucceeded}},
		{StepStatus: v1beta1.StepStatus{Name: "g", Phase: v1beta1.WorkflowStepPhaseRunning},
			SubStepsStatus: []v1beta1.StepStatus{{Name: "s1", Phase: v1beta1.WorkflowStepPhaseRunning}, {Name: "s2", Phase: v1beta1.WorkflowStepPhaseSucceeded}}},
		{StepStatus: v1beta1.StepStatus{Name: "b", Phase: v1beta1.WorkflowStepPhasePending}},
	}
	setStepPhases(steps, v1beta1.WorkflowStepPhaseRunning, v1beta1.WorkflowStepPhaseSuspending)
	got := []v1beta1.WorkflowStepPhase{steps[0].Phase, steps[1].Phase, steps[1].SubStepsStatus[0].Phase, steps[1].SubStepsStatus[1].Phase, steps[2].Phase}
	want := []v1beta1.WorkflowStepPhase{"succeeded", "suspending", "suspending", "succeeded", "pending"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("phases %v, want %v", got, want)
		}
	}
}

func TestTerminateStep(t *testing.T) {
	cases := []struct {
		in, want v1beta1.StepStatus
	}{
		{v1beta1.StepStatus{Phase: "running"}, v1beta1.StepStatus{Phase: "failed", Reason: ReasonTerminate}},
		{v1beta1.StepStatus{Phase: "suspending", Reason: "Suspend"}, v1beta1.StepStatus{Phase: "failed", Reason: ReasonTerminate}},
		{v1beta1.StepStatus{Phase: "failed", Reason: "Execute"}, v1beta1.StepStatus{Phase: "failed", Reason: ReasonTerminate}},
		{v1beta1.StepStatus{Phase: "failed", Reason: ReasonFailedAfterRetries}, v1beta1.StepStatus{Phase: "failed", Reason: ReasonFailedAfterRetries}},
		{v1beta1.StepStatus{Phase: "failed", Reason: ReasonTimeout}, v1beta1.StepStatus{Phase: "failed", Reason: ReasonTimeout}},
		{v1beta1.StepStatus{Phase: "succeeded"}, v1beta1.StepStatus{Phase: "succeeded"}},
		{v1beta1.StepStatus{Phase: "pending"}, v1beta1.StepStatus{Phase: "pending"}},
	}
	for _, tc := range cases {
		got := tc.in
		terminateStep(&got)
		if got != tc.want {
			t.Errorf("terminate %+v: got %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestSettled(t *testing.T) {
	wf := &v1beta1.WorkflowStatus{Steps: []v1beta1.WorkflowStepStatus{{StepStatus: v1beta1.StepStatus{Name: "approve", Phase: "suspending"}}}}
	bad := v1beta1.AppStatus{Phase: v1beta1.ApplicationRendering}
	bad.SetConditions(v1beta1.Condition{Type: v1beta1.ConditionParsed, Status: "False", Message: "trait \"x\" not found"})
	cases := []struct {
		name   string
		status v1beta1.AppStatus
		done   bool
		err    string
	}{
		{"running", v1beta1.AppStatus{Phase: "running", Workflow: &v1beta1.WorkflowStatus{}}, true, ""},
		{"running before the restarted workflow ran", v1beta1.AppStatus{Phase: "running"}, false, ""},
		{"executing", v1beta1.AppStatus{Phase: "runningWorkflow", Workflow: &v1beta1.WorkflowStatus{}}, false, ""},
		{"unhealthy may heal", v1beta1.AppStatus{Phase: "unhealthy", Workflow: &v1beta1.WorkflowStatus{}}, false, ""},
		{"failed", v1beta1.AppStatus{Phase: "workflowFailed", Workflow: &v1beta1.WorkflowStatus{Message: "boom"}}, true, "boom"},
		{"suspended", v1beta1.AppStatus{Phase: "workflowSuspending", Workflow: wf}, true, `suspended at step "approve"`},
		{"bad input", bad, true, `Parsed: trait "x" not found`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := &v1beta1.Application{Status: tc.status}
			app.Name = "a"
			done, err := settled(app)
			if done != tc.done || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("settled = %v, %v; want %v, %q", done, err, tc.done, tc.err)
			}
		})
	}
	var se *SuspendedError
	if _, err := settled(&v1beta1.Application{Status: v1beta1.AppStatus{Phase: "workflowSuspending", Workflow: wf}}); !errors.As(err, &se) {
		t.Fatalf("want a *SuspendedError, got %v", err)
	}
}

func TestObservedWantsGenerationAndPublishVersion(t *testing.T) {
	app := &v1beta1.Application{Status: v1beta1.AppStatus{ObservedGeneration: 2, Workflow: &v1beta1.WorkflowStatus{AppRevision: "a-v2"}}}
	for _, tc := range []struct {
		a    Applied
		want bool
	}{
		{Applied{Generation: 2}, true},
		{Applied{Generation: 3}, false},
		{Applied{Generation: 2, PublishVersion: "a-v2"}, true},
		{Applied{Generation: 2, PublishVersion: "1.1"}, false},
	} {
		if got := observed(app, tc.a); got != tc.want {
			t.Errorf("observed(%+v) = %v, want %v", tc.a, got, tc.want)
		}
	}
}

func TestRecordedLogs(t *testing.T) {
	cases := []struct {
		name string
		data map[string]string
		want map[string]string
	}{
		{"none", map[string]string{"workflow": `{"vars":{}}`}, map[string]string{}},
		{"stepLogs strings", map[string]string{StepLogsKey: `{"a":"x"}`}, map[string]string{"a": "x"}},
		{"workflow data lines", map[string]string{ContextDataKey: `{"logs":{"a":["1","2"]}}`}, map[string]string{"a": "1\n2"}},
	}
	for _, tc := range cases {
		got, err := recordedLogs(tc.data)
		if err != nil || len(got) != len(tc.want) || got["a"] != tc.want["a"] {
			t.Errorf("%s: got %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	if _, err := recordedLogs(map[string]string{StepLogsKey: `{"a":1}`}); err == nil {
		t.Error("want an error for a log that is neither a string nor lines")
	}
}

func TestRevisionNumber(t *testing.T) {
	for name, want := range map[string]int64{"app-v1": 1, "my-app-v12": 12, "app": 0, "app-vx": 0, "a-very-long-v3": 3} {
		if got := RevisionNumber(name); got != want {
			t.Errorf("RevisionNumber(%q) = %d, want %d", name, got, want)
		}
	}
}
