package application

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
)

// Revisions lists the ApplicationRevisions of app, oldest first.
func Revisions(ctx context.Context, c client.Reader, app *v1beta1.Application) ([]v1beta1.ApplicationRevision, error) {
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
	return restoreSpec(ctx, c, app, rev, map[string]*string{oam.AnnotationPublishVersion: &publishVersion})
}

// restoreSpec patches app with rev's spec and sets (or, for nil, removes) annotations.
func restoreSpec(ctx context.Context, c client.Client, app *v1beta1.Application, rev *v1beta1.ApplicationRevision, annotations map[string]*string) error {
	cur, err := Get(ctx, c, app.Namespace, app.Name)
	if err != nil {
		return err
	}
	next := cur.DeepCopy()
	next.Spec = *rev.Spec.Application.Spec.DeepCopy()
	ann := next.GetAnnotations()
	if ann == nil {
		ann = map[string]string{}
	}
	for k, v := range annotations {
		if v == nil {
			delete(ann, k)
		} else {
			ann[k] = *v
		}
	}
	next.SetAnnotations(ann)
	patch := client.MergeFromWithOptions(cur, client.MergeFromWithOptimisticLock{})
	if err := c.Patch(ctx, next, patch); err != nil {
		return fmt.Errorf("restoring the spec of %s on application %s/%s: %w", rev.Name, app.Namespace, app.Name, err)
	}
	*app = *next
	return nil
}

// Rollback returns app to its newest successful ApplicationRevision other than the current
// one, as `vela workflow rollback` does: in one update it restores that revision's spec and
// publishVersion and asks the controller (oam.AnnotationRollbackTo) to make it the latest
// revision, delete the revisions newer than it (they never succeeded or were superseded)
// and deliver it again. It refuses a workflow that is still running, and returns the
// revision rolled back to.
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
		// Newer than the current revision: left by a rollback the controller has not
		// finished cleaning up; returning to it would roll forward.
		newer := current != "" && RevisionNumber(revs[i].Name) > RevisionNumber(current)
		if revs[i].Status.Succeeded && revs[i].Name != current && !newer {
			target = &revs[i]
			break
		}
	}
	if target == nil {
		return nil, fmt.Errorf("application %s/%s has no earlier successful revision to roll back to: see them with vela revision list %s", app.Namespace, app.Name, app.Name)
	}
	var pv *string
	if v := target.Annotations[oam.AnnotationPublishVersion]; v != "" {
		pv = &v
	}
	to := target.Name
	if err := restoreSpec(ctx, c, app, target, map[string]*string{oam.AnnotationPublishVersion: pv, oam.AnnotationRollbackTo: &to}); err != nil {
		return nil, err
	}
	return target, nil
}

// RevisionInfo is one row of `vela revision list`.
type RevisionInfo struct {
	// Name is <app>-v<N>.
	Name string `json:"name"`
	// PublishVersion is its app.oam.dev/publishVersion.
	PublishVersion string `json:"publishVersion,omitempty"`
	// Succeeded is true once the revision's workflow succeeded.
	Succeeded bool `json:"succeeded"`
	// Hash is the revision's spec hash.
	Hash string `json:"hash"`
	// BeginTime is when the revision was created.
	BeginTime time.Time `json:"beginTime"`
	// Status is the phase of the revision's workflow: the recorded one, the running one
	// for the current revision, else NotStarted.
	Status string `json:"status"`
	// Size is the size of the stored snapshot in bytes.
	Size int `json:"size"`
}

// DescribeRevisions summarises the ApplicationRevisions of app, oldest first.
func DescribeRevisions(ctx context.Context, c client.Client, app *v1beta1.Application) ([]RevisionInfo, error) {
	revs, err := Revisions(ctx, c, app)
	if err != nil {
		return nil, err
	}
	out := make([]RevisionInfo, 0, len(revs))
	for i := range revs {
		out = append(out, DescribeRevision(app, &revs[i]))
	}
	return out, nil
}

// DescribeRevision summarises one revision of app as `vela revision list` shows it.
func DescribeRevision(app *v1beta1.Application, r *v1beta1.ApplicationRevision) RevisionInfo {
	info := RevisionInfo{
		Name: r.Name, PublishVersion: r.Annotations[oam.AnnotationPublishVersion], Succeeded: r.Status.Succeeded,
		Hash: r.Labels[oam.LabelAppRevisionHash], BeginTime: r.CreationTimestamp.Time, Status: "NotStarted",
	}
	if b, err := json.Marshal(r.Spec); err == nil {
		info.Size = len(b)
	}
	switch {
	case r.Status.Workflow != nil:
		info.Status = phaseName(r.Status.Workflow.Phase)
	case app.Status.LatestRevision != nil && app.Status.LatestRevision.Name == r.Name && app.Status.Workflow != nil:
		info.Status = phaseName(app.Status.Workflow.Phase)
	}
	return info
}

// phaseName is a workflow phase as `vela revision list` shows it (Succeeded, Executing, ...).
func phaseName(p v1beta1.WorkflowRunPhase) string {
	if p == "" {
		return "NotStarted"
	}
	s := string(p)
	return strings.ToUpper(s[:1]) + s[1:]
}
