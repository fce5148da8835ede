// Package workflow owns the execution of an Application's workflow: the default
// steps when spec.workflow is absent (generator.go), StepByStep and DAG
// scheduling with dependsOn, if, timeout, inputs/outputs, step groups,
// suspend/resume/terminate and retries with capped exponential backoff
// (engine.go, step.go), and the runtime of the `vela/op` actions step
// definitions import (actions.go plus the handlers in handlers_*.go, attached
// to the schema-only providers of pkg/cue/provider).
//
// All workflow state lives in the caller's v1beta1.WorkflowStatus and in a
// context ConfigMap (`workflow-<app>-context`, context.go), so a restarted
// controller resumes where it stopped and a succeeded step never runs again.
//
// Components are applied through the Dispatcher interface the caller
// implements (pkg/controller). workflow must not import pkg/controller,
// pkg/server or pkg/cli.
package workflow
