package application

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

// StepLogsKey is the key, in the workflow's context ConfigMap (status.workflow.contextBackend),
// under which the controller records step logs: a JSON object from step name to its log text
// (what the step's #Log actions wrote).
const StepLogsKey = "stepLogs"

// StepLogs returns the recorded logs of app's workflow steps by step name, only step's when
// step is set. An empty map means nothing was recorded.
func StepLogs(ctx context.Context, c client.Client, app *v1beta1.Application, step string) (map[string]string, error) {
	wf := app.Status.Workflow
	if wf == nil {
		return nil, ErrNoWorkflow
	}
	if step != "" && !hasStep(wf, step) {
		return nil, fmt.Errorf("application %q has no workflow step %q: see the steps with vela status %s", app.Name, step, app.Name)
	}
	if wf.ContextBackend == nil || wf.ContextBackend.Name == "" {
		return map[string]string{}, nil
	}
	ns := wf.ContextBackend.Namespace
	if ns == "" {
		ns = app.Namespace
	}
	var cm corev1.ConfigMap
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: wf.ContextBackend.Name}, &cm); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return map[string]string{}, nil
		}
		return nil, fmt.Errorf("reading workflow context %s/%s: %w", ns, wf.ContextBackend.Name, err)
	}
	logs := map[string]string{}
	if raw := cm.Data[StepLogsKey]; raw != "" {
		if err := json.Unmarshal([]byte(raw), &logs); err != nil {
			return nil, fmt.Errorf("decoding %s in workflow context %s/%s: %w", StepLogsKey, ns, cm.Name, err)
		}
	}
	if step != "" {
		if text, ok := logs[step]; ok {
			return map[string]string{step: text}, nil
		}
		return map[string]string{}, nil
	}
	return logs, nil
}

func hasStep(wf *v1beta1.WorkflowStatus, name string) bool {
	for _, s := range wf.Steps {
		if s.Name == name {
			return true
		}
		for _, sub := range s.SubStepsStatus {
			if sub.Name == name {
				return true
			}
		}
	}
	return false
}
