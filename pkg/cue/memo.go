package cue

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"
)

// memo remembers render results by their inputs. Rendering is a pure function
// of (template, parameter, the context keys the template reads), so a
// controller re-rendering an unchanged application skips CUE entirely.
// Entries are deep-copied in and out: callers own what they get.
type memo struct {
	mu      sync.Mutex
	max     int
	entries map[string]memoEntry
}

type memoEntry struct {
	res *Result
	err error
}

func newMemo(max int) *memo {
	if max <= 0 {
		return nil
	}
	return &memo{max: max, entries: map[string]memoEntry{}}
}

// key hashes the inputs; ok is false when they cannot be encoded.
func memoKey(templateHash string, parameter, context map[string]any) (string, bool) {
	h := sha256.New()
	h.Write([]byte(templateHash))
	enc := json.NewEncoder(h) // map keys are sorted: the encoding is canonical
	if enc.Encode(parameter) != nil || enc.Encode(context) != nil {
		return "", false
	}
	return hex.EncodeToString(h.Sum(nil)), true
}

func (m *memo) get(key string) (*Result, error, bool) {
	if m == nil {
		return nil, nil, false
	}
	m.mu.Lock()
	e, ok := m.entries[key]
	m.mu.Unlock()
	if !ok {
		return nil, nil, false
	}
	return e.res.clone(), e.err, true
}

func (m *memo) put(key string, res *Result, err error) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.entries) >= m.max {
		// Drop about a quarter, chosen by Go's random map order: cheap, and
		// unlike clearing everything it keeps most hot entries.
		drop := m.max/4 + 1
		for k := range m.entries {
			if drop == 0 {
				break
			}
			delete(m.entries, k)
			drop--
		}
	}
	m.entries[key] = memoEntry{res: res.clone(), err: err}
}

// clone deep-copies a Result; Tags are shared since nobody mutates them.
func (r *Result) clone() *Result {
	if r == nil {
		return nil
	}
	out := &Result{PatchOutputs: nil}
	if r.Output != nil {
		out.Output = deepCopy(r.Output).(map[string]any)
	}
	if r.OutputDefaults != nil {
		out.OutputDefaults = make(map[string]bool, len(r.OutputDefaults))
		for k, v := range r.OutputDefaults {
			out.OutputDefaults[k] = v
		}
	}
	for _, o := range r.Outputs {
		obj, _ := deepCopy(o.Object).(map[string]any)
		out.Outputs = append(out.Outputs, Object{Name: o.Name, Object: obj})
	}
	out.Patch = r.Patch.clone()
	if r.PatchOutputs != nil {
		out.PatchOutputs = make(map[string]*Patch, len(r.PatchOutputs))
		for k, p := range r.PatchOutputs {
			out.PatchOutputs[k] = p.clone()
		}
	}
	if r.Parameter != nil {
		out.Parameter = deepCopy(r.Parameter).(map[string]any)
	}
	return out
}

func (p *Patch) clone() *Patch {
	if p == nil {
		return nil
	}
	return &Patch{Value: deepCopy(p.Value), Strategy: p.Strategy, Tags: p.Tags}
}
