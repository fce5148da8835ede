package application

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
)

// Revisions lists the ApplicationRevisions of app, oldest first.
func Revisions(ctx context.Context, c client.Client, app *v1beta1.Application) ([]v1beta1.ApplicationRevision, error) {
	var list v1beta1.ApplicationRevisionList
	if err := c.List(ctx, &list, client.InNamespace(app.Namespace), client.MatchingLabels{oam.LabelAppName: app.Name}); err != nil {
		return nil, fmt.Errorf("listing revisions of application %s/%s: %w", app.Namespace, app.Name, err)
	}
	revs := list.Items
	sort.SliceStable(revs, func(i, j int) bool { return RevisionNumber(revs[i].Name) < RevisionNumber(revs[j].Name) })
	return revs, nil
}

// RevisionNumber is N of a revision named <app>-v<N>, 0 when the name has no such suffix.
func RevisionNumber(name string) int64 {
	i := strings.LastIndex(name, "-v")
	if i < 0 {
		return 0
	}
	n, err := strconv.ParseInt(name[i+2:], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// GetRevision reads the ApplicationRevision rev of app; rev is its full name (app-v2) or
// just the version (v2 or 2).
func GetRevision(ctx context.Context, c client.Client, app *v1beta1.Application, rev string) (*v1beta1.ApplicationRevision, error) {
	name := rev
	if !strings.HasPrefix(rev, app.Name+"-") {
		name = app.Name + "-v" + strings.TrimPrefix(rev, "v")
	}
	r := &v1beta1.ApplicationRevision{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: app.Namespace, Name: name}, r); err != nil {
		if client.IgnoreNotFound(err) == nil {
			return nil, fmt.Errorf("revision %q of application %q not found in namespace %q: list them with kubectl get apprev -n %s -l %s=%s",
				name, app.Name, app.Namespace, app.Namespace, oam.LabelAppName, app.Name)
		}
		return nil, fmt.Errorf("reading revision %s/%s: %w", app.Namespace, name, err)
	}
	return r, nil
}

// PublishRevision restores the spec of rev on app and sets the publishVersion annotation
// (to publishVersion, or to the revision's name when empty), so the controller delivers
// that spec again as a new published version.
func PublishRevision(ctx context.Context, c client.Client, app *v1beta1.Application, rev *v1beta1.ApplicationRevision, publishVersion string) error {
	if publishVersion == "" {
		publishVersion = rev.Name
	}
	return restoreSpec(ctx, c, app, rev, publishVersion)
}

func restoreSpec(ctx context.Context, c client.Client, app *v1beta1.Application, rev *v1beta1.ApplicationRevision, publishVersion string) error {
	cur, err := Get(ctx, c, app.Namespace, app.Name)
	if err != nil {
		return err
	}
	next := cur.DeepCopy()
	next.Spec = *rev.Spec.Application.Spec.DeepCopy()
	if publishVersion != "" {
		ann := next.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[oam.AnnotationPublishVersion] = publishVersion
		next.SetAnnotations(ann)
	}
	patch := client.MergeFromWithOptions(cur, client.MergeFromWithOptimisticLock{})
	if err := c.Patch(ctx, next, patch); err != nil {
		return fmt.Errorf("restoring the spec of %s on application %s/%s: %w", rev.Name, app.Namespace, app.Name, err)
	}
	*app = *next
	return nil
}

// Rollback restores the newest successful ApplicationRevision other than the current one:
// its spec (and publishVersion, when it had one), then its workflow status and latest
// revision in the status, as `vela workflow rollback` does. It refuses a workflow that is
// still running, and returns the revision rolled back to.
func Rollback(ctx context.Context, c client.Client, app *v1beta1.Application) (*v1beta1.ApplicationRevision, error) {
	if Running(app) {
		return nil, fmt.Errorf("the workflow of application %q is still running: suspend or terminate it first (vela workflow suspend %s)", app.Name, app.Name)
	}
	revs, err := Revisions(ctx, c, app)
	if err != nil {
		return nil, err
	}
	current := ""
	if app.Status.LatestRevision != nil {
		current = app.Status.LatestRevision.Name
	}
	var target *v1beta1.ApplicationRevision
	for i := len(revs) - 1; i >= 0; i-- {
		if revs[i].Status.Succeeded && revs[i].Name != current {
			target = &revs[i]
			break
		}
	}
	if target == nil {
		return nil, fmt.Errorf("application %s/%s has no earlier successful revision to roll back to", app.Namespace, app.Name)
	}
	if err := restoreSpec(ctx, c, app, target, target.Annotations[oam.AnnotationPublishVersion]); err != nil {
		return nil, err
	}
	err = patchStatus(ctx, c, app, func(a *v1beta1.Application) error {
		a.Status.Workflow = target.Status.Workflow.DeepCopy()
		a.Status.Services = nil
		a.Status.LatestRevision = &v1beta1.Revision{
			Name:         target.Name,
			Revision:     RevisionNumber(target.Name),
			RevisionHash: target.Labels[oam.LabelAppRevisionHash],
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("rolling back the status of application %s/%s to %s: %w", app.Namespace, app.Name, target.Name, err)
	}
	return target, nil
}
