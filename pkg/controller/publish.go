package controller

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
	"velad.io/velad/pkg/appfile"
	"velad.io/velad/pkg/application"
)

// publishVersion is an object's app.oam.dev/publishVersion ("" when unset).
func publishVersion(o client.Object) string { return o.GetAnnotations()[oam.AnnotationPublishVersion] }

// autoUpdate reports app.oam.dev/autoUpdate: a changed definition then makes a
// new revision (and workflow run), as a changed spec does.
func autoUpdate(app *v1beta1.Application) bool {
	v, ok := app.Annotations[oam.AnnotationAutoUpdate]
	return ok && v != "false"
}

// workflowRevision is what status.workflow.appRevision records, as KubeVela
// does: the publishVersion when set (a new one restarts the workflow), else
// the revision name.
func workflowRevision(s *appState) string {
	if pv := publishVersion(s.app); pv != "" {
		return pv
	}
	return s.rev.Name
}

// publishing handles a requested rollback, then pins the published revision.
func (r *Reconciler) publishing(ctx context.Context, s *appState) error {
	if err := r.rollbackRequested(ctx, s.app); err != nil {
		return err
	}
	return r.pinRevision(ctx, s)
}

// pinRevision: while app.oam.dev/publishVersion equals the latest revision's,
// the Application is delivered from that revision's snapshot (its spec and
// definitions), so edits wait for the next publishVersion (KubeVela semantics).
func (r *Reconciler) pinRevision(ctx context.Context, s *appState) error {
	pv, latest := publishVersion(s.app), s.app.Status.LatestRevision
	if pv == "" || latest == nil {
		return nil
	}
	ar := &v1beta1.ApplicationRevision{}
	err := r.reader.Get(ctx, client.ObjectKey{Namespace: s.app.Namespace, Name: latest.Name}, ar)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading ApplicationRevision %s: %w", latest.Name, err)
	}
	if publishVersion(ar) == pv {
		s.pinned = ar
	}
	return nil
}

// source is the Application to parse: the live one, or its pinned revision's spec.
func (s *appState) source() *v1beta1.Application {
	if s.pinned == nil {
		return s.app
	}
	app := s.app.DeepCopy()
	app.Spec = *s.pinned.Spec.Application.Spec.DeepCopy()
	return app
}

// revisionLoader serves definitions from a revision's snapshot, falling back
// to the cluster for those it does not hold.
type revisionLoader struct {
	appfile.Loader
	conv *clusterLoader
	snap *v1beta1.ApplicationRevisionCompressibleFields
}

// Load implements appfile.Loader.
func (l *revisionLoader) Load(ctx context.Context, kind, name, ns string) (*appfile.Definition, error) {
	var obj client.Object
	switch kind {
	case appfile.KindComponent:
		if d := l.snap.ComponentDefinitions[name]; d != nil {
			obj = d.DeepCopy()
		}
	case appfile.KindTrait:
		if d := l.snap.TraitDefinitions[name]; d != nil {
			obj = d.DeepCopy()
		}
	case appfile.KindWorkflowStep:
		if d := l.snap.WorkflowStepDefinitions[name]; d != nil {
			obj = d.DeepCopy()
		}
	case appfile.KindPolicy:
		if d, ok := l.snap.PolicyDefinitions[name]; ok {
			obj = d.DeepCopy()
		}
	}
	if obj == nil {
		return l.Loader.Load(ctx, kind, name, ns)
	}
	return l.conv.convert(kind, obj)
}

// loaderFor is the loader parse resolves types with.
func (r *Reconciler) loaderFor(s *appState) appfile.Loader {
	if s.pinned == nil {
		return r.loader
	}
	return &revisionLoader{Loader: r.loader, conv: r.loader, snap: &s.pinned.Spec.ApplicationRevisionCompressibleFields}
}

// rollbackRequested consumes oam.AnnotationRollbackTo (set by `vela workflow rollback` with the restored spec): status.latestRevision
// becomes the named revision, the revisions newer than it are deleted, and the workflow starts over for it (so the
// resources of the last successful revision are applied again). The annotation is removed last, so a failed step is retried.
func (r *Reconciler) rollbackRequested(ctx context.Context, app *v1beta1.Application) error {
	name := app.Annotations[oam.AnnotationRollbackTo]
	if name == "" {
		return nil
	}
	ar := &v1beta1.ApplicationRevision{}
	err := r.reader.Get(ctx, client.ObjectKey{Namespace: app.Namespace, Name: name}, ar)
	switch {
	case apierrors.IsNotFound(err):
		logr.FromContextOrDiscard(ctx).Info("rollback target not found; ignoring it", "revision", name)
	case err != nil:
		return fmt.Errorf("reading rollback target %s: %w", name, err)
	default:
		app.Status.LatestRevision = &v1beta1.Revision{
			Name: ar.Name, Revision: application.RevisionNumber(ar.Name), RevisionHash: ar.Labels[oam.LabelAppRevisionHash],
		}
		app.Status.Workflow = nil
		app.Status.Services = nil
		if err := r.client.Status().Update(ctx, app); err != nil {
			return fmt.Errorf("rolling back to %s: %w", name, err)
		}
		if err := r.dropRevisionsAfter(ctx, app, ar); err != nil {
			return err
		}
	}
	delete(app.Annotations, oam.AnnotationRollbackTo)
	if err := r.client.Update(ctx, app); err != nil {
		return fmt.Errorf("consuming the rollback annotation: %w", err)
	}
	return nil
}

// dropRevisionsAfter deletes app's ApplicationRevisions newer than target (superseded by a
// rollback). The controller does this, not the CLI: a reconcile that read the Application
// before the rollback restored its spec would otherwise find the newest revision gone and
// create it again from the old spec.
func (r *Reconciler) dropRevisionsAfter(ctx context.Context, app *v1beta1.Application, target *v1beta1.ApplicationRevision) error {
	revs, err := application.Revisions(ctx, r.reader, app)
	if err != nil {
		return err
	}
	for i := range revs {
		if application.RevisionNumber(revs[i].Name) <= application.RevisionNumber(target.Name) {
			continue
		}
		if err := r.client.Delete(ctx, &revs[i]); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("rolled back to %s, deleting the newer revision %s: %w", target.Name, revs[i].Name, err)
		}
	}
	return nil
}
