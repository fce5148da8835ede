package controller

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// maxPodProblems bounds how many pod problems an unhealthy component's message lists.
const maxPodProblems = 3

// imageImportHint tells how to get an image onto a node that cannot pull it.
const imageImportHint = "the node cannot pull the image: load it with `velad image import <tar>` (docker save / OCI archive; `velad image ls` lists the node's images), or configure a mirror in <data-dir>/registries.yaml"

// podProblems explains why an unhealthy workload's pods are not ready: the containers that
// crash (CrashLoopBackOff, restarts) or whose image cannot be pulled (with how to load it),
// read (from the API server's watch cache, resourceVersion 0) from the pods its selector
// matches in cluster. "" when no pod says more than that it is starting, and without
// reading pods while the workload's controller has not yet observed its current spec (just
// applied: its pods are not there yet).
func (r *Reconciler) podProblems(ctx context.Context, cluster string, workload map[string]any) string {
	obj := unstructured.Unstructured{Object: workload}
	match, found, err := unstructured.NestedStringMap(workload, "spec", "selector", "matchLabels")
	if err != nil || !found || len(match) == 0 || !observed(workload) {
		return ""
	}
	var cl client.Reader = r.reader // the manager's cached client would start a watch of every pod
	if !isLocal(cluster) {
		c, err := r.clientFor(ctx, cluster)
		if err != nil {
			return ""
		}
		cl = c
	}
	pods := &corev1.PodList{}
	if err := cl.List(ctx, pods, client.InNamespace(obj.GetNamespace()), client.MatchingLabels(match),
		&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: "0"}}); err != nil {
		return ""
	}
	return describePodProblems(pods.Items)
}

// observed reports whether the workload's controller has written a status, and
// about its current spec where the kind says (status.observedGeneration).
func observed(workload map[string]any) bool {
	status, _, _ := unstructured.NestedMap(workload, "status")
	if len(status) == 0 {
		return false
	}
	gen, _, _ := unstructured.NestedInt64(workload, "metadata", "generation")
	seen, found, _ := unstructured.NestedInt64(workload, "status", "observedGeneration")
	return !found || seen >= gen
}

// describePodProblems summarises the waiting or crashing containers of pods.
func describePodProblems(pods []corev1.Pod) string {
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	var problems []string
	hint := false
	for _, p := range pods {
		statuses := append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...)
		for _, cs := range statuses {
			problem, pull := containerProblem(cs)
			if problem != "" {
				problems = append(problems, fmt.Sprintf("pod %s container %s: %s", p.Name, cs.Name, problem))
				hint = hint || pull
			}
		}
	}
	if len(problems) == 0 {
		return ""
	}
	more := ""
	if len(problems) > maxPodProblems {
		more = fmt.Sprintf("; and %d more", len(problems)-maxPodProblems)
		problems = problems[:maxPodProblems]
	}
	out := strings.Join(problems, "; ") + more
	if hint {
		out += " — " + imageImportHint
	}
	return out
}

// containerProblem describes what is wrong with a container ("" when it is fine or still
// starting), and whether its image cannot be pulled. A container that exited with an error
// and was restarted is crash-looping, whichever moment of the loop its status shows.
func containerProblem(cs corev1.ContainerStatus) (string, bool) {
	restarts := ""
	if cs.RestartCount > 0 {
		restarts = fmt.Sprintf(", restarted %d times", cs.RestartCount)
	}
	last := cs.LastTerminationState.Terminated
	switch w, t := cs.State.Waiting, cs.State.Terminated; {
	case w != nil && (w.Reason == "ErrImagePull" || w.Reason == "ImagePullBackOff" || w.Reason == "ErrImageNeverPull" || w.Reason == "InvalidImageName"):
		return fmt.Sprintf("%s for image %s", w.Reason, cs.Image), true
	case w != nil && w.Reason == "CrashLoopBackOff":
		return "CrashLoopBackOff" + exitOf(last) + restarts, false
	case w != nil && w.Reason != "" && w.Reason != "ContainerCreating" && w.Reason != "PodInitializing":
		msg := w.Reason + restarts
		if w.Message != "" && len(w.Message) < 200 {
			msg += ": " + w.Message
		}
		return msg, false
	case t != nil && t.ExitCode != 0 && cs.RestartCount > 0:
		return "crash-looping (CrashLoopBackOff)" + exitOf(t) + restarts, false
	case t != nil && t.ExitCode != 0:
		return "terminated" + exitOf(t), false
	case cs.State.Running != nil && !cs.Ready && last != nil && last.ExitCode != 0:
		return "crash-looping (CrashLoopBackOff)" + exitOf(last) + restarts, false
	}
	return "", false
}

// exitOf describes how a container ended: ", exit code 1 (Error)".
func exitOf(t *corev1.ContainerStateTerminated) string {
	if t == nil {
		return ""
	}
	out := fmt.Sprintf(", exit code %d", t.ExitCode)
	if t.Reason != "" {
		out += " (" + t.Reason + ")"
	}
	return out
}
