package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/apis/oam"
	"velad.io/velad/pkg/appfile"
)

// revision finds or creates the ApplicationRevision `<app>-v<N>` for the
// current spec (and, with app.oam.dev/autoUpdate, the definitions it uses): a
// new one only when their hash changed, or when app.oam.dev/publishVersion
// names a version the latest revision was not published as.
func (r *Reconciler) revision(ctx context.Context, s *appState) error {
	latest := s.app.Status.LatestRevision
	if s.pinned != nil {
		s.rev = *latest
		return nil
	}
	hash, err := revisionHash(s)
	if err != nil {
		return err
	}
	if latest != nil && latest.RevisionHash == hash && publishVersion(s.app) == "" {
		s.rev = *latest
		return nil
	}
	n := int64(1)
	if latest != nil {
		n = latest.Revision + 1
	}
	for ; ; n++ {
		name := s.app.Name + "-v" + strconv.FormatInt(n, 10)
		ar, err := r.newRevision(s, name, hash)
		if err != nil {
			return err
		}
		err = r.client.Create(ctx, ar)
		if apierrors.IsAlreadyExists(err) {
			existing := &v1beta1.ApplicationRevision{}
			if err := r.reader.Get(ctx, client.ObjectKeyFromObject(ar), existing); err != nil {
				return fmt.Errorf("reading ApplicationRevision %s: %w", name, err)
			}
			if existing.Labels[oam.LabelAppRevisionHash] != hash || publishVersion(existing) != publishVersion(s.app) {
				continue
			}
		} else if err != nil {
			return fmt.Errorf("creating ApplicationRevision %s: %w", name, err)
		}
		if err == nil {
			s.created = ar
		}
		s.rev = v1beta1.Revision{Name: name, Revision: n, RevisionHash: hash}
		s.app.Status.LatestRevision = &s.rev
		r.limitRevisions(ctx, s)
		return nil
	}
}

// revisionHash hashes the spec and, when the Application has
// app.oam.dev/autoUpdate, the spec of every definition it uses. Without it a
// changed definition makes no new revision (KubeVela pins definitions until the
// spec changes).
func revisionHash(s *appState) (string, error) {
	type def struct {
		Kind, Name string
		Spec       any
	}
	var defs []def
	for kind, byName := range s.used {
		if !autoUpdate(s.app) {
			break
		}
		for name, d := range byName {
			var spec any
			if d.Object != nil {
				spec = d.Object.Object["spec"]
			}
			defs = append(defs, def{kind, name, spec})
		}
	}
	sort.Slice(defs, func(i, j int) bool {
		return defs[i].Kind+"/"+defs[i].Name < defs[j].Kind+"/"+defs[j].Name
	})
	b, err := json.Marshal(struct {
		Spec v1beta1.ApplicationSpec
		Defs []def
	}{s.app.Spec, defs})
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), nil
}

// newRevision builds the ApplicationRevision snapshot: the Application and
// the definitions it uses.
func (r *Reconciler) newRevision(s *appState, name, hash string) (*v1beta1.ApplicationRevision, error) {
	app := v1beta1.Application{
		TypeMeta: metav1.TypeMeta{APIVersion: v1beta1.GroupVersion.String(), Kind: v1beta1.ApplicationKind},
		ObjectMeta: metav1.ObjectMeta{
			Name: s.app.Name, Namespace: s.app.Namespace, Labels: s.app.Labels,
			Annotations: s.app.Annotations, Generation: s.app.Generation, UID: s.app.UID,
		},
		Spec: s.app.Spec,
	}
	ar := &v1beta1.ApplicationRevision{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.app.Namespace, Labels: map[string]string{
			oam.LabelAppName: s.app.Name, oam.LabelAppRevisionHash: hash,
		}},
	}
	if pv := publishVersion(s.app); pv != "" {
		ar.Annotations = map[string]string{oam.AnnotationPublishVersion: pv}
	}
	ar.Spec.Application = app
	ar.Spec.Compression.Type = compressionType(r.opts.RevisionCompression)
	fields := &ar.Spec.ApplicationRevisionCompressibleFields
	for kind, byName := range s.used {
		for defName, d := range byName {
			if err := snapshotDefinition(fields, kind, defName, d); err != nil {
				return nil, err
			}
		}
	}
	if err := controllerutil.SetControllerReference(s.app, ar, r.client.Scheme()); err != nil {
		return nil, err
	}
	return ar, nil
}

func snapshotDefinition(f *v1beta1.ApplicationRevisionCompressibleFields, kind, name string, d *appfile.Definition) error {
	if d.Object == nil {
		return nil
	}
	convert := func(target any) error {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(d.Object.Object, target); err != nil {
			return fmt.Errorf("snapshotting %s %s: %w", kind, name, err)
		}
		return nil
	}
	switch kind {
	case appfile.KindComponent:
		cd := &v1beta1.ComponentDefinition{}
		if err := convert(cd); err != nil {
			return err
		}
		f.ComponentDefinitions = setDef(f.ComponentDefinitions, name, cd)
	case appfile.KindTrait:
		td := &v1beta1.TraitDefinition{}
		if err := convert(td); err != nil {
			return err
		}
		f.TraitDefinitions = setDef(f.TraitDefinitions, name, td)
	case appfile.KindWorkflowStep:
		wd := &v1beta1.WorkflowStepDefinition{}
		if err := convert(wd); err != nil {
			return err
		}
		f.WorkflowStepDefinitions = setDef(f.WorkflowStepDefinitions, name, wd)
	case appfile.KindPolicy:
		pd := v1beta1.PolicyDefinition{}
		if err := convert(&pd); err != nil {
			return err
		}
		if f.PolicyDefinitions == nil {
			f.PolicyDefinitions = map[string]v1beta1.PolicyDefinition{}
		}
		f.PolicyDefinitions[name] = pd
	}
	return nil
}

func setDef[T any](m map[string]*T, name string, d *T) map[string]*T {
	if m == nil {
		m = map[string]*T{}
	}
	m[name] = d
	return m
}
