package controller

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/application"
)

// recordRevision stores a workflow that just finished in the revision it
// delivered: status.workflow, and status.succeeded when it succeeded.
func (r *Reconciler) recordRevision(ctx context.Context, s *appState) error {
	wf := s.app.Status.Workflow
	if wf == nil || !wf.Finished || s.rev.Name == "" {
		return nil
	}
	ar := s.created
	if ar == nil || ar.Name != s.rev.Name {
		ar = &v1beta1.ApplicationRevision{}
		if err := r.reader.Get(ctx, client.ObjectKey{Namespace: s.app.Namespace, Name: s.rev.Name}, ar, r.owned.revisionRead(s.app)...); err != nil {
			return client.IgnoreNotFound(err)
		}
	}
	ar.Status.Succeeded = wf.Phase == v1beta1.WorkflowRunSucceeded
	ar.Status.Workflow = wf.DeepCopy()
	if err := r.client.Status().Update(ctx, ar); err != nil {
		return fmt.Errorf("recording the workflow in ApplicationRevision %s: %w", ar.Name, err)
	}
	return nil
}

// limitRevisions deletes the oldest revisions of the Application beyond
// Options.RevisionLimit, never the current one or the last successful one
// (what `vela workflow rollback` returns to). Failures are only logged: an
// extra revision does no harm and the next new revision tries again. Up to
// revision number Options.RevisionLimit there is nothing to delete (revisions
// are numbered from 1), so the revisions are not even listed.
func (r *Reconciler) limitRevisions(ctx context.Context, s *appState) {
	if s.rev.Revision <= int64(r.opts.RevisionLimit) {
		return
	}
	log := logr.FromContextOrDiscard(ctx)
	revs, err := application.Revisions(ctx, r.reader, s.app)
	if err != nil {
		log.Error(err, "listing revisions to keep at most the limit")
		return
	}
	excess := len(revs) - r.opts.RevisionLimit
	if excess <= 0 {
		return
	}
	lastGood := ""
	for _, rev := range revs {
		if rev.Status.Succeeded {
			lastGood = rev.Name
		}
	}
	for i := 0; i < len(revs) && excess > 0; i++ {
		if revs[i].Name == s.rev.Name || revs[i].Name == lastGood {
			continue
		}
		if err := r.client.Delete(ctx, &revs[i]); client.IgnoreNotFound(err) != nil {
			log.Error(err, "deleting an old revision", "revision", revs[i].Name)
			continue
		}
		excess--
	}
}
