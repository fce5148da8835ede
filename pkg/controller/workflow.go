package controller

import (
	"context"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/cue"
	"velad.io/velad/pkg/workflow"
)

// runWorkflow advances the Application's workflow for the current revision.
// Status is checkpointed after every finished step, but for a last step that
// only applied resources: the final status write persists it (FinalWrite).
func (r *Reconciler) runWorkflow(ctx context.Context, s *appState) error {
	app := s.app
	if err := r.restartRequested(ctx, app); err != nil {
		return err
	}
	if app.Status.Workflow == nil {
		app.Status.Workflow = &v1beta1.WorkflowStatus{}
	}
	s.freshRun = app.Status.Workflow.AppRevision != workflowRevision(s) || app.Status.Workflow.Phase == ""
	d := r.newDispatcher(s)
	env := &workflow.Env{Client: r.client, Dispatcher: d, HTTP: r.opts.HTTPClient, Namespace: app.Namespace, App: app.Name, Clusters: r.members, ClientFor: r.clientFor}
	t := true
	in := &workflow.Instance{
		App: app.Name, Namespace: app.Namespace, Revision: workflowRevision(s),
		Steps: s.plan.Steps, Mode: s.plan.Mode, Status: app.Status.Workflow,
		Store: &workflow.ConfigMapStore{Client: r.client, Reader: r.reader, Namespace: app.Namespace, App: app.Name, Owner: &metav1.OwnerReference{
			APIVersion: v1beta1.GroupVersion.String(), Kind: v1beta1.ApplicationKind, Name: app.Name, UID: app.UID, Controller: &t,
		}, Status: app.Status.Workflow, NewApp: s.newApp},
		Handlers: workflow.NewHandlers(env),
		// finish (or keepError) writes the status after Run.
		FinalWrite: true,
		Context: cue.Context{
			Name: app.Name, AppName: app.Name, Namespace: app.Namespace, WorkflowName: app.Name,
			AppRevision: s.rev.Name, AppRevisionNum: s.rev.Revision, AppLabels: app.Labels, AppAnnotations: app.Annotations,
			PublishVersion: publishVersion(app),
		},
		Checkpoint: func(ctx context.Context) error {
			// Steps may still run (DAG): their dispatcher writes what setServices reads.
			d.mu.Lock()
			defer d.mu.Unlock()
			app.Status.Phase = appPhase(s.af != nil, app.Status.Workflow.Phase, true)
			app.Status.SetConditions(v1beta1.ReadyCondition(v1beta1.ConditionParsed), v1beta1.ReadyCondition(v1beta1.ConditionRevision), v1beta1.ReadyCondition(v1beta1.ConditionRender))
			r.setServices(s)
			// Update a copy: steps still running read app, and the engine keeps
			// its status pointer.
			cp := app.DeepCopy()
			err := r.client.Status().Update(ctx, cp)
			app.ResourceVersion = cp.ResourceVersion
			return err
		},
	}
	wasFinished := app.Status.Workflow.Finished && app.Status.Workflow.AppRevision == in.Revision
	out, err := r.workflow.Run(ctx, in)
	if err != nil {
		return err
	}
	s.outcome = out
	if !wasFinished {
		return r.recordRevision(ctx, s)
	}
	return nil
}

// annotationRestartWorkflow set to "true" restarts the workflow once (KubeVela's
// `vela workflow restart`); the controller removes it.
const annotationRestartWorkflow = "app.oam.dev/restart-workflow"

// restartRequested consumes the restart annotation and clears the workflow
// status, so the engine starts over.
func (r *Reconciler) restartRequested(ctx context.Context, app *v1beta1.Application) error {
	if app.Annotations[annotationRestartWorkflow] != "true" {
		return nil
	}
	delete(app.Annotations, annotationRestartWorkflow)
	if err := r.client.Update(ctx, app); err != nil {
		return fmt.Errorf("consuming the restart annotation: %w", err)
	}
	app.Status.Workflow = nil
	return nil
}
