// Package bootstrap installs what the delivery system needs into a cluster before its
// controllers start: the core.oam.dev CRDs (waiting until they are established), the
// vela-system namespace and the built-in X-Definitions, all from assets embedded in the
// binary. It must not import pkg/cli.
package bootstrap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"velad.io/velad/embedded"
	"velad.io/velad/pkg/appfile"
	"velad.io/velad/pkg/server"
)

// SystemNamespace holds the built-in definitions and addon applications.
const SystemNamespace = "vela-system"

// FieldManager owns the fields bootstrap applies.
const FieldManager = "velad-bootstrap"

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// Controller returns the embedded controller that runs Install once and then reports ready.
func Controller() server.Controller {
	return server.ControllerFunc{
		ControllerName: "bootstrap",
		Run: func(ctx context.Context, cfg *rest.Config, ready func()) error {
			err := Install(ctx, cfg)
			var defErr *DefinitionsError
			if errors.As(err, &defErr) {
				// The cluster stays usable; the broken built-ins are named in the log.
				klog.ErrorS(err, "some built-in definitions were not installed")
			} else if err != nil {
				return err
			}
			ready()
			<-ctx.Done()
			return nil
		},
	}
}

// Install applies the embedded CRDs, waits until they are established, then creates the
// system namespace and applies the built-in definitions. It is idempotent.
func Install(ctx context.Context, cfg *rest.Config) error {
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 200, 400 // one burst of ~70 applies; client-go's default 5 QPS costs seconds
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	crds, err := decodeDir(embedded.CRDs())
	if err != nil {
		return fmt.Errorf("reading embedded CRDs: %w", err)
	}
	for _, crd := range crds {
		if err := apply(ctx, dyn.Resource(crdGVR), crd); err != nil {
			return fmt.Errorf("installing CRD %s: %w", crd.GetName(), err)
		}
	}
	start := time.Now()
	for _, crd := range crds {
		if err := waitEstablished(ctx, dyn, crd.GetName()); err != nil {
			return err
		}
	}
	klog.InfoS("bootstrap: CRDs established", "count", len(crds), "took", time.Since(start))
	start = time.Now()
	if err := ensureNamespace(ctx, cfg); err != nil {
		return err
	}
	defs, err := decodeDir(embedded.Definitions())
	if err != nil {
		return fmt.Errorf("reading built-in definitions: %w", err)
	}
	var errs []error
	for _, d := range defs {
		gvr := schema.GroupVersionResource{Group: "core.oam.dev", Version: "v1beta1", Resource: strings.ToLower(d.GetKind()) + "s"}
		d.SetNamespace(SystemNamespace)
		if err := apply(ctx, dyn.Resource(gvr).Namespace(SystemNamespace), d); err != nil {
			errs = append(errs, fmt.Errorf("installing %s %s: %w", d.GetKind(), d.GetName(), err))
		}
	}
	klog.InfoS("bootstrap: built-in definitions applied", "count", len(defs), "took", time.Since(start))
	if len(errs) > 0 {
		return &DefinitionsError{Errs: errs}
	}
	return nil
}

// DefinitionsError lists the built-in definitions that could not be installed.
type DefinitionsError struct {
	// Errs has one error per definition.
	Errs []error
}

// Error implements error.
func (e *DefinitionsError) Error() string { return errors.Join(e.Errs...).Error() }

func apply(ctx context.Context, ri dynamic.ResourceInterface, obj *unstructured.Unstructured) error {
	data, err := obj.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = ri.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{FieldManager: FieldManager, Force: ptrTrue()})
	return err
}

func ptrTrue() *bool { t := true; return &t }

func waitEstablished(ctx context.Context, dyn dynamic.Interface, name string) error {
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		crd, err := dyn.Resource(crdGVR).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
		for _, c := range conds {
			m, _ := c.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("CRD %s not established: %w", name, err)
	}
	return nil
}

func ensureNamespace(ctx context.Context, cfg *rest.Config) error {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: SystemNamespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", SystemNamespace, err)
	}
	return nil
}

// decodeDir reads every YAML document of every .yaml file in fsys.
func decodeDir(fsys fs.FS) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (path.Ext(p) != ".yaml" && path.Ext(p) != ".yml") {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		objs, err := appfile.DecodeObjects(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, objs...)
		return nil
	})
	return out, err
}
