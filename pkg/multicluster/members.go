package multicluster

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Members returns the joined clusters (never "local"), sorted by name, read from their Secrets
// through hub without probing them: what topology policies select from. Secrets that are not
// usable credentials are skipped, as KubeVela skips them.
func Members(ctx context.Context, hub client.Reader) ([]Cluster, error) {
	var secrets corev1.SecretList
	if err := hub.List(ctx, &secrets, client.InNamespace(Namespace), client.HasLabels{LabelCredentialType}); err != nil {
		return nil, fmt.Errorf("listing cluster secrets in %s: %w", Namespace, err)
	}
	out := make([]Cluster, 0, len(secrets.Items))
	for i := range secrets.Items {
		c, err := FromSecret(&secrets.Items[i])
		if err != nil || IsLocal(c.Name) {
			continue
		}
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
