package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"velad.io/velad/pkg/apis/core/v1beta1"
)

// Data is the workflow state that does not fit the Application status: step
// outputs, retry counts and suspend deadlines.
type Data struct {
	// Vars are step outputs by name, read by later steps' inputs.
	Vars map[string]any `json:"vars,omitempty"`
	// Retries counts failed executions by step ID.
	Retries map[string]int `json:"retries,omitempty"`
	// SuspendUntil is when a suspend with a duration resumes, by step ID.
	SuspendUntil map[string]time.Time `json:"suspendUntil,omitempty"`
	// Logs are the lines the #Log actions of each step's last execution wrote, by
	// step name (what `vela workflow logs` shows).
	Logs map[string][]string `json:"logs,omitempty"`
}

func (d *Data) init() {
	if d.Vars == nil {
		d.Vars = map[string]any{}
	}
	if d.Retries == nil {
		d.Retries = map[string]int{}
	}
	if d.SuspendUntil == nil {
		d.SuspendUntil = map[string]time.Time{}
	}
	if d.Logs == nil {
		d.Logs = map[string][]string{}
	}
}

// Store persists a workflow's Data.
type Store interface {
	// Load returns the saved data (empty when none was saved).
	Load(ctx context.Context) (*Data, error)
	// Save writes d.
	Save(ctx context.Context, d *Data) error
	// Reset forgets everything, for a restarted workflow.
	Reset(ctx context.Context) error
}

// ContextConfigMapName is the name of an Application's workflow context ConfigMap.
func ContextConfigMapName(app string) string { return "workflow-" + app + "-context" }

// ConfigMapStore keeps Data in the context ConfigMap `workflow-<app>-context`,
// owned by the Application so it goes away with it.
//
// With Status set, the store records in status.workflow.contextBackend whether
// the current run saved the ConfigMap: Reset sets a reference without a UID,
// a Save sets the UID of the ConfigMap it wrote. The caller persists Status
// with the step it records, so the reference never says "saved" before the
// save happened. Load and Reset then skip the ConfigMap of a run that saved
// none (no GET and no DELETE that would find nothing), and the first Save of a
// run creates the ConfigMap, replacing one it finds: that one holds no data of
// this run (a save whose status write was lost, or a deleted Application of the
// same name). A status without the reference (written by an older velad, or
// cleared by a restart or rollback) is not trusted: the ConfigMap is read and
// deleted as before.
type ConfigMapStore struct {
	// Client writes the ConfigMap.
	Client client.Client
	// Reader reads it; use an uncached reader, since saving what a stale
	// cache returned would drop outputs (default Client).
	Reader client.Reader
	// Namespace and App name the Application.
	Namespace, App string
	// Owner is set as the ConfigMap's owner reference.
	Owner *metav1.OwnerReference
	// Status is the workflow status the caller persists (nil: always read,
	// apply and delete the ConfigMap).
	Status *v1beta1.WorkflowStatus
	// NewApp says the Application's status was never written, so no context
	// was saved for it.
	NewApp bool
}

const (
	dataKey    = "workflow"
	fieldOwner = "velad-workflow"
)

// mayExist reports whether Status leaves open that the ConfigMap holds data of
// the current run.
func (s *ConfigMapStore) mayExist() bool {
	st := s.Status
	switch {
	case st == nil:
		return true
	case st.ContextBackend != nil:
		return st.ContextBackend.UID != ""
	case st.Phase != "" || len(st.Steps) > 0:
		return true // written by an older velad
	default:
		return !s.NewApp // cleared by a restart or a rollback
	}
}

// record notes in Status that the run's context is in the ConfigMap with uid
// ("" before the first save).
func (s *ConfigMapStore) record(uid types.UID) {
	if s.Status != nil {
		s.Status.ContextBackend = &corev1.ObjectReference{APIVersion: "v1", Kind: "ConfigMap", Namespace: s.Namespace, Name: ContextConfigMapName(s.App), UID: uid}
	}
}

func (s *ConfigMapStore) key() client.ObjectKey {
	return client.ObjectKey{Namespace: s.Namespace, Name: ContextConfigMapName(s.App)}
}

// Load implements Store.
func (s *ConfigMapStore) Load(ctx context.Context) (*Data, error) {
	var cm corev1.ConfigMap
	d := &Data{}
	if !s.mayExist() {
		d.init()
		return d, nil
	}
	reader := s.Reader
	if reader == nil {
		reader = s.Client
	}
	if err := reader.Get(ctx, s.key(), &cm); err != nil {
		if apierrors.IsNotFound(err) {
			d.init()
			return d, nil
		}
		return nil, fmt.Errorf("reading workflow context: %w", err)
	}
	if raw := cm.Data[dataKey]; raw != "" {
		if err := json.Unmarshal([]byte(raw), d); err != nil {
			return nil, fmt.Errorf("decoding workflow context %s: %w", s.key(), err)
		}
	}
	d.init()
	return d, nil
}

// Save implements Store.
func (s *ConfigMapStore) Save(ctx context.Context, d *Data) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	cm := s.object(b)
	if s.Status != nil && !s.mayExist() {
		cm, err = s.create(ctx, b)
	} else {
		//nolint:staticcheck // client.Apply with an object is the SSA form this controller-runtime serves.
		err = s.Client.Patch(ctx, cm, client.Apply, client.FieldOwner(fieldOwner), client.ForceOwnership)
	}
	if err != nil {
		return fmt.Errorf("saving workflow context: %w", err)
	}
	s.record(cm.UID)
	return nil
}

// object is the ConfigMap holding the encoded data b.
func (s *ConfigMapStore) object(b []byte) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: ContextConfigMapName(s.App)},
		Data:       map[string]string{dataKey: string(b)},
	}
	if s.Owner != nil {
		cm.OwnerReferences = []metav1.OwnerReference{*s.Owner}
	}
	return cm
}

// create writes the first save of a run. A ConfigMap already there holds no
// data of this run: it is deleted and created anew, not merged into (its
// other keys and owner would stay with an apply).
func (s *ConfigMapStore) create(ctx context.Context, b []byte) (*corev1.ConfigMap, error) {
	cm := s.object(b)
	err := s.Client.Create(ctx, cm, client.FieldOwner(fieldOwner))
	if !apierrors.IsAlreadyExists(err) {
		return cm, err
	}
	if err := s.delete(ctx); err != nil {
		return nil, err
	}
	cm = s.object(b)
	return cm, s.Client.Create(ctx, cm, client.FieldOwner(fieldOwner))
}

// delete deletes the ConfigMap; one already gone is no error.
func (s *ConfigMapStore) delete(ctx context.Context) error {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: ContextConfigMapName(s.App)}}
	return client.IgnoreNotFound(s.Client.Delete(ctx, cm))
}

// Reset implements Store.
func (s *ConfigMapStore) Reset(ctx context.Context) error {
	if s.mayExist() {
		if err := s.delete(ctx); err != nil {
			return fmt.Errorf("resetting workflow context: %w", err)
		}
	}
	s.record("")
	return nil
}

// MemoryStore is a Store in memory, for tests and dry runs.
type MemoryStore struct{ data *Data }

// Load implements Store.
func (m *MemoryStore) Load(context.Context) (*Data, error) {
	if m.data == nil {
		m.data = &Data{}
	}
	m.data.init()
	return m.data, nil
}

// Save implements Store.
func (m *MemoryStore) Save(_ context.Context, d *Data) error { m.data = d; return nil }

// Reset implements Store.
func (m *MemoryStore) Reset(context.Context) error { m.data = nil; return nil }
