package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
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
}

const dataKey = "workflow"

func (s *ConfigMapStore) key() client.ObjectKey {
	return client.ObjectKey{Namespace: s.Namespace, Name: ContextConfigMapName(s.App)}
}

// Load implements Store.
func (s *ConfigMapStore) Load(ctx context.Context) (*Data, error) {
	var cm corev1.ConfigMap
	d := &Data{}
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
	cm := &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: ContextConfigMapName(s.App)},
		Data:       map[string]string{dataKey: string(b)},
	}
	if s.Owner != nil {
		cm.OwnerReferences = []metav1.OwnerReference{*s.Owner}
	}
	//nolint:staticcheck // client.Apply with an object is the SSA form this controller-runtime serves.
	if err := s.Client.Patch(ctx, cm, client.Apply, client.FieldOwner("velad-workflow"), client.ForceOwnership); err != nil {
		return fmt.Errorf("saving workflow context: %w", err)
	}
	return nil
}

// Reset implements Store.
func (s *ConfigMapStore) Reset(ctx context.Context) error {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: ContextConfigMapName(s.App)}}
	if err := s.Client.Delete(ctx, cm); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("resetting workflow context: %w", err)
	}
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
