package application

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

// NotFoundError says an Application does not exist, and how to find the ones that do.
type NotFoundError struct {
	// Name of the Application asked for.
	Name string
	// Namespace it was looked up in.
	Namespace string
}

// Error reads `application "x" not found in namespace "default": list them with vela ls -A`.
func (e *NotFoundError) Error() string {
	return fmt.Sprintf("application %q not found in namespace %q: list them with vela ls -A", e.Name, e.Namespace)
}

// IsNotFound reports whether err is (or wraps) a NotFoundError.
func IsNotFound(err error) bool {
	var nf *NotFoundError
	return errors.As(err, &nf)
}

// ErrNoWorkflow is returned by workflow operations on an Application whose workflow has
// not started (no status.workflow).
var ErrNoWorkflow = errors.New("the workflow of the application has not started")

// ErrTerminated is returned when resuming or suspending a terminated workflow.
var ErrTerminated = errors.New("the workflow was terminated: restart it with vela workflow restart")

// errUnchanged aborts a patch that would change nothing.
var errUnchanged = errors.New("unchanged")

// Get reads the Application namespace/name; a missing one is a *NotFoundError.
func Get(ctx context.Context, c client.Client, namespace, name string) (*v1beta1.Application, error) {
	app := &v1beta1.Application{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, app); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, &NotFoundError{Name: name, Namespace: namespace}
		}
		return nil, fmt.Errorf("reading application %s/%s: %w", namespace, name, noKindHint(err))
	}
	return app, nil
}

// noKindHint explains a "no matches for kind" error: the cluster lacks the OAM CRDs.
func noKindHint(err error) error {
	if meta.IsNoMatchError(err) {
		return fmt.Errorf("%w: the cluster does not serve core.oam.dev/v1beta1; is it a velad cluster (velad install)?", err)
	}
	return err
}
