package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/appfile"
)

// refObjectsType is the component type whose properties name existing
// objects (or manifest URLs) instead of describing new ones.
const refObjectsType = "ref-objects"

// componentProperties is the appfile.RenderOptions.Properties hook of one
// reconcile of an Application: a ref-objects component's references are read
// from their cluster (and its urls fetched) and handed to the template as whole
// objects, as KubeVela does; every other component renders its properties as
// written. The reconcile renders a component once up front and again per
// placement, so each distinct set of properties is resolved once: renders of the same set
// wait for the one resolving it (the lock covers only the map; reads and fetches run
// outside it), and a failed resolution is tried again by the next render.
func (r *Reconciler) componentProperties(namespace string) func(context.Context, *appfile.Component) (map[string]any, error) {
	type resolution struct {
		once  sync.Once
		props map[string]any
		err   error
	}
	var mu sync.Mutex
	resolved := map[string]*resolution{}
	return func(ctx context.Context, c *appfile.Component) (map[string]any, error) {
		if c.Type != refObjectsType {
			return c.Properties, nil
		}
		key, err := json.Marshal(c.Properties)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		res := resolved[string(key)]
		if res == nil {
			res = &resolution{}
			resolved[string(key)] = res
		}
		mu.Unlock()
		// The first caller's ctx resolves for all: they are renders of one reconcile, which
		// share its context; a cancelled one fails them all and the next reconcile retries.
		res.once.Do(func() { res.props, res.err = r.resolveReferences(ctx, namespace, c.Properties) })
		if res.err != nil {
			mu.Lock()
			if resolved[string(key)] == res {
				delete(resolved, string(key))
			}
			mu.Unlock()
		}
		return res.props, res.err
	}
}

// resolveReferences returns a ref-objects component's properties with objects
// holding the objects its references and urls name.
func (r *Reconciler) resolveReferences(ctx context.Context, namespace string, properties map[string]any) (map[string]any, error) {
	var objs []any
	refs, _ := properties["objects"].([]any)
	for i, x := range refs {
		ref, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("objects[%d]: want an object reference {resource, name | labelSelector}, got %T", i, x)
		}
		if _, whole := ref["metadata"]; whole {
			objs = append(objs, ref) // an inline object, used as it is
			continue
		}
		found, err := r.readReferred(ctx, namespace, ref)
		if err != nil {
			return nil, fmt.Errorf("objects[%d]: %w", i, err)
		}
		objs = append(objs, found...)
	}
	urls, _ := properties["urls"].([]any)
	for i, u := range urls {
		found, err := r.fetchManifests(ctx, fmt.Sprint(u))
		if err != nil {
			return nil, fmt.Errorf("urls[%d]: %w", i, err)
		}
		objs = append(objs, found...)
	}
	out := make(map[string]any, len(properties))
	for k, v := range properties {
		out[k] = v
	}
	out["objects"] = objs
	delete(out, "urls")
	return out, nil
}

// readReferred reads the objects one reference names: by name, or every
// object matching labelSelector, in its namespace (default: the
// Application's) of its cluster (default: local).
func (r *Reconciler) readReferred(ctx context.Context, namespace string, ref map[string]any) ([]any, error) {
	str := func(k string) string { s, _ := ref[k].(string); return s }
	gvk, err := r.referredKind(ref)
	if err != nil {
		return nil, err
	}
	c, err := r.clientFor(ctx, str("cluster"))
	if err != nil {
		return nil, err
	}
	if ns := str("namespace"); ns != "" {
		namespace = ns
	}
	if scoped, err := c.IsObjectNamespaced(kindOnly(gvk)); err == nil && !scoped {
		namespace = ""
	}
	where := fmt.Sprintf("%s %q in namespace %q", gvk.Kind, str("name"), namespace)
	if name := str("name"); name != "" {
		u := kindOnly(gvk)
		if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u); err != nil {
			return nil, fmt.Errorf("reading the referred %s: %w", where, err)
		}
		return []any{referredObject(u)}, nil
	}
	sel, _ := ref["labelSelector"].(map[string]any)
	if len(sel) == 0 {
		return nil, fmt.Errorf("a reference to %s needs a name or a labelSelector", gvk.Kind)
	}
	labels := client.MatchingLabels{}
	for k, v := range sel {
		labels[k] = fmt.Sprint(v)
	}
	l := &unstructured.UnstructuredList{}
	l.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	if err := c.List(ctx, l, client.InNamespace(namespace), labels); err != nil {
		return nil, fmt.Errorf("listing the referred %s objects in namespace %q: %w", gvk.Kind, namespace, err)
	}
	sort.Slice(l.Items, func(i, j int) bool { return l.Items[i].GetName() < l.Items[j].GetName() })
	out := make([]any, 0, len(l.Items))
	for i := range l.Items {
		out = append(out, referredObject(&l.Items[i]))
	}
	return out, nil
}

// referredKind maps a reference's resource and group (KubeVela's form), or
// its apiVersion and kind, to the kind to read.
func (r *Reconciler) referredKind(ref map[string]any) (schema.GroupVersionKind, error) {
	str := func(k string) string { s, _ := ref[k].(string); return s }
	if res := str("resource"); res != "" {
		gvk, err := r.client.RESTMapper().KindFor(schema.GroupVersionResource{Group: str("group"), Resource: res})
		if err != nil {
			return gvk, fmt.Errorf("resource %q (group %q) is not served by the cluster: %w", res, str("group"), err)
		}
		return gvk, nil
	}
	if av, kind := str("apiVersion"), str("kind"); av != "" && kind != "" {
		gv, err := schema.ParseGroupVersion(av)
		if err != nil {
			return schema.GroupVersionKind{}, fmt.Errorf("apiVersion %q: %w", av, err)
		}
		return gv.WithKind(kind), nil
	}
	return schema.GroupVersionKind{}, fmt.Errorf("a reference needs resource (and group), or apiVersion and kind")
}

func kindOnly(gvk schema.GroupVersionKind) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	return u
}

// referredObject is a live object made fit to apply elsewhere: its status,
// server-set metadata and a Service's allocated cluster IPs are dropped.
func referredObject(u *unstructured.Unstructured) map[string]any {
	o := u.DeepCopy().Object
	delete(o, "status")
	for _, f := range []string{"resourceVersion", "uid", "creationTimestamp", "managedFields", "generation",
		"ownerReferences", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds", "finalizers"} {
		unstructured.RemoveNestedField(o, "metadata", f)
	}
	if u.GetKind() == "Service" && u.GroupVersionKind().Group == "" {
		unstructured.RemoveNestedField(o, "spec", "clusterIP")
		unstructured.RemoveNestedField(o, "spec", "clusterIPs")
	}
	return o
}

// maxManifestBytes bounds a ref-objects URL's body.
const maxManifestBytes = 8 << 20

// fetchManifests reads the YAML or JSON documents at url.
func (r *Reconciler) fetchManifests(ctx context.Context, url string) ([]any, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", url, err)
	}
	resp, err := r.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: HTTP %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxManifestBytes))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", url, err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(body), 4096)
	var out []any
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("decoding %s: %w", url, err)
		}
		if len(doc) > 0 {
			out = append(out, doc)
		}
	}
}
