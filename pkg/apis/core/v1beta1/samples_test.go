package v1beta1_test

import (
	"errors"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

func typeMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: v1beta1.GroupVersion.String(), Kind: kind}
}

func raw(s string) runtime.RawExtension { return runtime.RawExtension{Raw: []byte(s)} }

func ptr[T any](v T) *T { return &v }

// sampleApplication is an Application with a status as the controller fills it in.
func sampleApplication() *v1beta1.Application {
	now := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	app := &v1beta1.Application{
		TypeMeta:   typeMeta(v1beta1.ApplicationKind),
		ObjectMeta: metav1.ObjectMeta{Name: "demo", Namespace: "default", Generation: 2},
		Spec: v1beta1.ApplicationSpec{
			Components: []v1beta1.ApplicationComponent{{
				Name: "web", Type: "webservice", Properties: ptr(raw(`{"image":"nginx","port":80}`)),
				DependsOn: []string{"db"},
				Inputs:    v1beta1.StepInputs{{From: "dbHost", ParameterKey: "env[0].value"}},
				Outputs:   v1beta1.StepOutputs{{Name: "svc", ValueFrom: "output.metadata.name"}},
				Traits:    []v1beta1.ApplicationTrait{{Type: "scaler", Properties: ptr(raw(`{"replicas":2}`))}},
			}},
			Policies: []v1beta1.AppPolicy{{Name: "gc", Type: "garbage-collect", Properties: ptr(raw(`{"keepLegacyResource":true}`))}},
			Workflow: &v1beta1.Workflow{Steps: []v1beta1.WorkflowStep{{
				WorkflowStepBase: v1beta1.WorkflowStepBase{Name: "deploy", Type: "deploy", Properties: ptr(raw(`{"policies":["gc"]}`))},
			}}},
		},
	}
	app.Status = v1beta1.AppStatus{
		ObservedGeneration: 2,
		Phase:              v1beta1.ApplicationRunning,
		Services: []v1beta1.ApplicationComponentStatus{{
			Name: "web", Namespace: "default", Healthy: true, Message: "Ready:2/2",
			WorkloadDefinition: v1beta1.WorkloadGVK{APIVersion: "apps/v1", Kind: "Deployment"},
			Details:            map[string]string{"replicas": "2"},
			Traits:             []v1beta1.ApplicationTraitStatus{{Type: "scaler", Healthy: true}},
		}},
		Workflow: &v1beta1.WorkflowStatus{
			AppRevision: "demo-v1", Mode: "StepByStep-DAG", Phase: v1beta1.WorkflowRunSucceeded,
			Finished:       true,
			ContextBackend: &corev1.ObjectReference{Kind: "ConfigMap", Name: "workflow-demo-context", Namespace: "default"},
			Steps: []v1beta1.WorkflowStepStatus{{
				StepStatus: v1beta1.StepStatus{
					ID: "abc", Name: "deploy", Type: "deploy", Phase: v1beta1.WorkflowStepPhaseSucceeded,
					FirstExecuteTime: now, LastExecuteTime: now,
				},
				// A sub-step that never ran has zero times, which encode as null.
				SubStepsStatus: []v1beta1.StepStatus{{ID: "def", Phase: v1beta1.WorkflowStepPhasePending}},
			}},
			StartTime: now,
		},
		LatestRevision:   &v1beta1.Revision{Name: "demo-v1", Revision: 1, RevisionHash: "h"},
		AppliedResources: []v1beta1.ClusterObjectReference{{ObjectReference: corev1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web"}}},
	}
	app.Status.SetConditions(v1beta1.ReadyCondition(v1beta1.ConditionParsed),
		v1beta1.ErrorCondition(v1beta1.ConditionRender, errors.New(`component "web": trait "scaler": replicas: conflicting values`)),
		// A condition without a transition time encodes it as null; the CRD must keep it.
		v1beta1.Condition{Type: v1beta1.ConditionWorkflow, Status: corev1.ConditionTrue, Reason: v1beta1.ReasonAvailable})
	return app
}

func sampleComponentDefinition() *v1beta1.ComponentDefinition {
	return &v1beta1.ComponentDefinition{
		TypeMeta: typeMeta(v1beta1.ComponentDefinitionKind),
		ObjectMeta: metav1.ObjectMeta{Name: "webservice", Namespace: "vela-system",
			Annotations: map[string]string{"definition.oam.dev/description": "Long-running service"}},
		Spec: v1beta1.ComponentDefinitionSpec{
			Workload:  v1beta1.WorkloadTypeDescriptor{Definition: v1beta1.WorkloadGVK{APIVersion: "apps/v1", Kind: "Deployment"}},
			Status:    &v1beta1.Status{HealthPolicy: "isHealth: true", CustomStatus: `message: "ok"`, Details: `replicas: "1"`},
			Schematic: &v1beta1.Schematic{CUE: &v1beta1.CUE{Template: "output: {}\nparameter: {}\n"}},
		},
		Status: v1beta1.DefinitionStatus{LatestRevision: &v1beta1.Revision{Name: "webservice-v1", Revision: 1}},
	}
}
