package v1beta1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Workflow is an Application's delivery workflow (spec.workflow).
type Workflow struct {
	// Ref names an external Workflow object to run instead of Steps.
	Ref string `json:"ref,omitempty"`
	// Mode is how steps and sub-steps are scheduled.
	Mode *WorkflowExecuteMode `json:"mode,omitempty"`
	// Steps are the workflow's steps.
	Steps []WorkflowStep `json:"steps,omitempty"`
}

// WorkflowExecuteMode is the scheduling mode of steps and of sub-steps.
type WorkflowExecuteMode struct {
	// Steps is the mode of the top-level steps (StepByStep by default).
	Steps WorkflowMode `json:"steps,omitempty"`
	// SubSteps is the mode of the sub-steps of step groups (DAG by default).
	SubSteps WorkflowMode `json:"subSteps,omitempty"`
}

// WorkflowMode is a workflow scheduling mode.
type WorkflowMode string

// Values of WorkflowMode.
const (
	// WorkflowModeDAG runs every step whose dependencies are done, in parallel.
	WorkflowModeDAG WorkflowMode = "DAG"
	// WorkflowModeStep runs steps one after the other, in order.
	WorkflowModeStep WorkflowMode = "StepByStep"
)

// WorkflowStep is one step of a workflow; a step-group step carries SubSteps.
type WorkflowStep struct {
	// WorkflowStepBase is the step itself.
	WorkflowStepBase `json:",inline"`
	// SubSteps are the steps of a step group.
	SubSteps []WorkflowStepBase `json:"subSteps,omitempty"`
}

// WorkflowStepMeta is the metadata of a workflow step.
type WorkflowStepMeta struct {
	// Alias is a display name of the step.
	Alias string `json:"alias,omitempty"`
}

// WorkflowStepBase is a workflow step or sub-step.
type WorkflowStepBase struct {
	// Name is the unique name of the step.
	Name string `json:"name,omitempty"`
	// Type is the WorkflowStepDefinition the step runs.
	Type string `json:"type"`
	// Meta is the step's metadata.
	Meta *WorkflowStepMeta `json:"meta,omitempty"`
	// If is a CUE condition; the step is skipped when it is false.
	If string `json:"if,omitempty"`
	// Timeout is a duration after which the running step fails.
	Timeout string `json:"timeout,omitempty"`
	// DependsOn names the steps that must finish first.
	DependsOn []string `json:"dependsOn,omitempty"`
	// Inputs are values read from earlier steps' outputs.
	Inputs StepInputs `json:"inputs,omitempty"`
	// Outputs are values exported for later steps.
	Outputs StepOutputs `json:"outputs,omitempty"`

	// Properties are the step's parameters.
	// +kubebuilder:pruning:PreserveUnknownFields
	Properties *runtime.RawExtension `json:"properties,omitempty"`
}

// StepInputs are the inputs of a step or component.
type StepInputs []InputItem

// StepOutputs are the outputs of a step or component.
type StepOutputs []OutputItem

// InputItem reads the output named From into the parameter at ParameterKey.
type InputItem struct {
	// ParameterKey is the parameter path the value is written to.
	ParameterKey string `json:"parameterKey,omitempty"`
	// From is the name of an output of an earlier step.
	From string `json:"from"`
}

// OutputItem exports the value at ValueFrom under Name.
type OutputItem struct {
	// ValueFrom is a CUE path into the step's value.
	ValueFrom string `json:"valueFrom"`
	// Name of the output.
	Name string `json:"name"`
}

// WorkflowRunPhase is the phase of a workflow run (status.workflow.status).
type WorkflowRunPhase string

// Values of WorkflowRunPhase.
const (
	// WorkflowRunInitializing: the run is being set up.
	WorkflowRunInitializing WorkflowRunPhase = "initializing"
	// WorkflowRunExecuting: steps are running or waiting.
	WorkflowRunExecuting WorkflowRunPhase = "executing"
	// WorkflowRunSuspending: the run is suspended until resumed.
	WorkflowRunSuspending WorkflowRunPhase = "suspending"
	// WorkflowRunTerminated: the run was terminated.
	WorkflowRunTerminated WorkflowRunPhase = "terminated"
	// WorkflowRunFailed: a step failed for good.
	WorkflowRunFailed WorkflowRunPhase = "failed"
	// WorkflowRunSucceeded: every step succeeded or was skipped.
	WorkflowRunSucceeded WorkflowRunPhase = "succeeded"
	// WorkflowRunSkipped: the run was skipped.
	WorkflowRunSkipped WorkflowRunPhase = "skipped"
)

// WorkflowStepPhase is the phase of one step.
type WorkflowStepPhase string

// Values of WorkflowStepPhase.
const (
	// WorkflowStepPhaseSucceeded: the step finished; the next can run.
	WorkflowStepPhaseSucceeded WorkflowStepPhase = "succeeded"
	// WorkflowStepPhaseFailed: the step failed; the message says why.
	WorkflowStepPhaseFailed WorkflowStepPhase = "failed"
	// WorkflowStepPhaseSkipped: the step was skipped (if false, or dependency failed).
	WorkflowStepPhaseSkipped WorkflowStepPhase = "skipped"
	// WorkflowStepPhaseRunning: the step is running or waiting.
	WorkflowStepPhaseRunning WorkflowStepPhase = "running"
	// WorkflowStepPhasePending: the step waits for its dependencies.
	WorkflowStepPhasePending WorkflowStepPhase = "pending"
	// WorkflowStepPhaseSuspending: the step suspends the workflow.
	WorkflowStepPhaseSuspending WorkflowStepPhase = "suspending"
)

// WorkflowStatus is the state of an Application's workflow run (status.workflow).
type WorkflowStatus struct {
	// AppRevision is the ApplicationRevision (or publishVersion) the run delivers.
	AppRevision string `json:"appRevision,omitempty"`
	// Mode is the run's mode, such as "StepByStep-DAG" (steps-substeps).
	Mode string `json:"mode"`
	// Phase of the run.
	Phase WorkflowRunPhase `json:"status,omitempty"`
	// Message explains the phase.
	Message string `json:"message,omitempty"`

	// Suspend is true while the run is suspended.
	Suspend bool `json:"suspend"`
	// SuspendState is the state the run was suspended in.
	SuspendState string `json:"suspendState,omitempty"`

	// Terminated is true once the run was terminated.
	Terminated bool `json:"terminated"`
	// Finished is true once the run ended.
	Finished bool `json:"finished"`

	// ContextBackend is the ConfigMap holding the run's context data.
	ContextBackend *corev1.ObjectReference `json:"contextBackend,omitempty"`
	// Steps are the statuses of the steps that started.
	Steps []WorkflowStepStatus `json:"steps,omitempty"`

	// StartTime is when the run started.
	// +nullable
	StartTime metav1.Time `json:"startTime,omitempty"`
	// EndTime is when the run ended.
	// +nullable
	EndTime metav1.Time `json:"endTime,omitempty"`
}

// StepStatus is the status of a step or sub-step.
type StepStatus struct {
	// ID identifies the step across reconciles.
	ID string `json:"id"`
	// Name of the step.
	Name string `json:"name,omitempty"`
	// Type of the step.
	Type string `json:"type,omitempty"`
	// Phase of the step.
	Phase WorkflowStepPhase `json:"phase,omitempty"`
	// Message is a human-readable explanation of the phase.
	Message string `json:"message,omitempty"`
	// Reason is a CamelCase reason for the phase.
	Reason string `json:"reason,omitempty"`
	// FirstExecuteTime is when the step first ran.
	// +nullable
	FirstExecuteTime metav1.Time `json:"firstExecuteTime,omitempty"`
	// LastExecuteTime is when the step last ran.
	// +nullable
	LastExecuteTime metav1.Time `json:"lastExecuteTime,omitempty"`
}

// WorkflowStepStatus is the status of a step and of its sub-steps.
type WorkflowStepStatus struct {
	// StepStatus is the step's own status.
	StepStatus `json:",inline"`
	// SubStepsStatus are the statuses of its sub-steps.
	SubStepsStatus []StepStatus `json:"subSteps,omitempty"`
}
