package helm

import (
	"context"
	"fmt"

	"helm.sh/helm/v3/pkg/strvals"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// composeValues merges spec.valuesFrom in order, then spec.values on top, as Flux does.
func composeValues(ctx context.Context, c client.Reader, namespace string, s *spec) (map[string]any, error) {
	out := map[string]any{}
	for i, ref := range s.ValuesFrom {
		data, found, err := readValuesRef(ctx, c, namespace, ref)
		if err != nil {
			return nil, fmt.Errorf("spec.valuesFrom[%d]: %w", i, err)
		}
		if !found {
			continue
		}
		if ref.TargetPath != "" {
			if err := strvals.ParseInto(ref.TargetPath+"="+data, out); err != nil {
				return nil, fmt.Errorf("spec.valuesFrom[%d]: setting %s: %w", i, ref.TargetPath, err)
			}
			continue
		}
		vals := map[string]any{}
		if err := yaml.Unmarshal([]byte(data), &vals); err != nil {
			return nil, fmt.Errorf("spec.valuesFrom[%d]: %s %s key %s is not a YAML map: %w", i, ref.Kind, ref.Name, valuesKey(ref), err)
		}
		out = mergeMaps(out, vals)
	}
	return mergeMaps(out, s.Values), nil
}

func valuesKey(ref valuesRef) string {
	if ref.ValuesKey != "" {
		return ref.ValuesKey
	}
	return "values.yaml"
}

// readValuesRef returns the value under the reference's key; found is false for a missing
// optional reference.
func readValuesRef(ctx context.Context, c client.Reader, namespace string, ref valuesRef) (string, bool, error) {
	key := types.NamespacedName{Namespace: namespace, Name: ref.Name}
	var data map[string]string
	switch ref.Kind {
	case "ConfigMap":
		cm := &corev1.ConfigMap{}
		if err := c.Get(ctx, key, cm); err != nil {
			return notFound(ref, err)
		}
		data = cm.Data
	case "Secret":
		sec := &corev1.Secret{}
		if err := c.Get(ctx, key, sec); err != nil {
			return notFound(ref, err)
		}
		data = map[string]string{}
		for k, v := range sec.Data {
			data[k] = string(v)
		}
	default:
		return "", false, fmt.Errorf("kind %q is not supported: use ConfigMap or Secret", ref.Kind)
	}
	v, ok := data[valuesKey(ref)]
	if !ok {
		if ref.Optional {
			return "", false, nil
		}
		return "", false, fmt.Errorf("%s %s/%s has no key %q", ref.Kind, namespace, ref.Name, valuesKey(ref))
	}
	return v, true, nil
}

func notFound(ref valuesRef, err error) (string, bool, error) {
	if apierrors.IsNotFound(err) && ref.Optional {
		return "", false, nil
	}
	return "", false, fmt.Errorf("reading %s %s: %w", ref.Kind, ref.Name, err)
}

// mergeMaps deep-merges b into a copy of a; b wins on conflicts.
func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = mergeMaps(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}
