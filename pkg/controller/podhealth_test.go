package controller

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDescribePodProblems(t *testing.T) {
	pod := func(name string, cs corev1.ContainerStatus) corev1.Pod {
		return corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}, Status: corev1.PodStatus{ContainerStatuses: []corev1.ContainerStatus{cs}}}
	}
	crash := pod("web-1", corev1.ContainerStatus{
		Name: "web", RestartCount: 4,
		State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 1m20s restarting failed container"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 3, Reason: "Error"}},
	})
	pull := pod("web-2", corev1.ContainerStatus{
		Name: "web", Image: "example.com/missing:v1",
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image"}},
	})
	starting := pod("web-3", corev1.ContainerStatus{Name: "web", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}})

	got := describePodProblems([]corev1.Pod{pull, crash, starting})
	for _, want := range []string{
		"pod web-1 container web: CrashLoopBackOff, exit code 3 (Error), restarted 4 times",
		"pod web-2 container web: ImagePullBackOff for image example.com/missing:v1",
		"velad image import <tar>",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("message lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "web-3") {
		t.Errorf("a starting pod is not a problem:\n%s", got)
	}
	if got := describePodProblems([]corev1.Pod{starting}); got != "" {
		t.Errorf("only starting pods: %q, want nothing", got)
	}
	if got := describePodProblems([]corev1.Pod{crash}); strings.Contains(got, "velad image import") {
		t.Errorf("a crash carries the image hint: %q", got)
	}
	// Between two back-offs the status shows the container exited, or running again.
	exited := pod("web-4", corev1.ContainerStatus{Name: "web", RestartCount: 2,
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}}})
	if got := describePodProblems([]corev1.Pod{exited}); !strings.Contains(got, "crash-looping (CrashLoopBackOff), exit code 1 (Error), restarted 2 times") {
		t.Errorf("exited between restarts: %q", got)
	}
	rerun := pod("web-5", corev1.ContainerStatus{Name: "web", RestartCount: 3,
		State:                corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 2}}})
	if got := describePodProblems([]corev1.Pod{rerun}); !strings.Contains(got, "crash-looping (CrashLoopBackOff), exit code 2, restarted 3 times") {
		t.Errorf("running again after crashes: %q", got)
	}
}

func TestObservedWaitsForTheWorkloadsController(t *testing.T) {
	for _, c := range []struct {
		name     string
		workload map[string]any
		want     bool
	}{
		{"just applied", map[string]any{"metadata": map[string]any{"generation": int64(1)}, "status": map[string]any{}}, false},
		{"older spec observed", map[string]any{"metadata": map[string]any{"generation": int64(2)}, "status": map[string]any{"observedGeneration": int64(1)}}, false},
		{"current spec observed", map[string]any{"metadata": map[string]any{"generation": int64(2)}, "status": map[string]any{"observedGeneration": int64(2), "replicas": int64(1)}}, true},
		{"a kind without observedGeneration (Job)", map[string]any{"metadata": map[string]any{"generation": int64(1)}, "status": map[string]any{"active": int64(1)}}, true},
	} {
		if got := observed(c.workload); got != c.want {
			t.Errorf("%s: observed = %v, want %v", c.name, got, c.want)
		}
	}
}
