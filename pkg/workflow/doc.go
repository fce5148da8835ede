// Package workflow owns the execution of an Application's workflow: the default
// steps when spec.workflow is absent (generator.go), StepByStep and DAG
// scheduling with dependsOn, if, timeout, inputs/outputs, step groups,
// suspend/resume/terminate and retries with capped exponential backoff
// (engine.go, schedule.go, step.go, condition.go, exec.go), and the runtime of
// the `vela/op` actions step definitions import: actions.go finds and runs
// them, handlers*.go implement kube, http, oam, multicluster (local deploy
// with override and topology policies), query and email behind the
// provider.Handler seam, for the schema-only providers of pkg/cue/provider.
// query.go runs a template's actions outside any workflow with the read-only handlers
// (Evaluate, QueryHandlers): how pkg/velaql evaluates VelaQL views.
//
// In DAG mode the ready steps of a level execute concurrently: only template
// evaluation and handler calls run in parallel (the Dispatcher must be safe for
// that); status, data and checkpoints stay on the scheduling goroutine.
//
// All workflow state lives in the caller's v1beta1.WorkflowStatus and in a
// context ConfigMap (`workflow-<app>-context`, context.go: step outputs,
// retries, suspend deadlines and the op.#Log lines of each step), so a
// restarted controller resumes where it stopped and a succeeded step never
// runs again.
//
// Components are applied through the Dispatcher interface the caller
// implements (pkg/controller). workflow must not import pkg/controller,
// pkg/server or pkg/cli.
package workflow
