package application

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

// Where the controller records step logs: in the workflow's context ConfigMap
// (status.workflow.contextBackend, else ContextConfigMapName), either under StepLogsKey or
// as the "logs" field of the JSON document under ContextDataKey. Both hold a JSON object
// from step name to its log: one string, or a list of lines (what its #Log actions wrote).
const (
	// StepLogsKey is the ConfigMap key holding only the step logs.
	StepLogsKey = "stepLogs"
	// ContextDataKey is the ConfigMap key of the workflow's data document.
	ContextDataKey = "workflow"
)

// ContextConfigMapName is the context ConfigMap of app's workflow when the status names none.
func ContextConfigMapName(app string) string { return "workflow-" + app + "-context" }

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
	ns, name := app.Namespace, ContextConfigMapName(app.Name)
	if ref := wf.ContextBackend; ref != nil && ref.Name != "" {
		name = ref.Name
		if ref.Namespace != "" {
			ns = ref.Namespace
		}
	}
	var cm corev1.ConfigMap
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &cm); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return map[string]string{}, nil
		}
		return nil, fmt.Errorf("reading workflow context %s/%s: %w", ns, name, err)
	}
	logs, err := recordedLogs(cm.Data)
	if err != nil {
		return nil, fmt.Errorf("decoding the step logs in workflow context %s/%s: %w", ns, name, err)
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

// recordedLogs reads the step logs of a context ConfigMap's data.
func recordedLogs(data map[string]string) (map[string]string, error) {
	raw := map[string]json.RawMessage{}
	if s := data[StepLogsKey]; s != "" {
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			return nil, err
		}
	} else if s := data[ContextDataKey]; s != "" {
		var doc struct {
			Logs map[string]json.RawMessage `json:"logs"`
		}
		if err := json.Unmarshal([]byte(s), &doc); err != nil {
			return nil, err
		}
		raw = doc.Logs
	}
	logs := make(map[string]string, len(raw))
	for step, r := range raw {
		var text string
		if err := json.Unmarshal(r, &text); err == nil {
			logs[step] = text
			continue
		}
		var lines []string
		if err := json.Unmarshal(r, &lines); err != nil {
			return nil, fmt.Errorf("step %s: want a string or a list of strings: %w", step, err)
		}
		logs[step] = strings.Join(lines, "\n")
	}
	return logs, nil
}
