package controller

import (
	"crypto/sha256"
	"encoding/json"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// appliedManifests remembers, per Application, what this controller process
// last server-side applied to each object through the dispatcher: the live
// object's UID and a hash of the manifest. A workflow step that applies the
// very same manifest again (apply-component waiting for its workload runs once
// more in the next reconcile) to that object, while the cache shows it holding
// every value of the manifest (inSync), can leave it alone: the last apply of
// that manifest already removed what the manifest does not set, and since
// then the controller has applied nothing else to it (any other apply replaces
// or drops the record). A new process knows nothing and applies everything.
type appliedManifests struct {
	mu    sync.Mutex
	byApp map[client.ObjectKey]map[string]appliedManifest
}

// appliedManifest is the record of one object.
type appliedManifest struct {
	uid types.UID
	sum [sha256.Size]byte
}

func newAppliedManifests() *appliedManifests {
	return &appliedManifests{byApp: map[client.ObjectKey]map[string]appliedManifest{}}
}

// manifestSum hashes the manifest o as it is sent.
func manifestSum(o *unstructured.Unstructured) ([sha256.Size]byte, bool) {
	data, err := json.Marshal(o.Object)
	if err != nil {
		return [sha256.Size]byte{}, false
	}
	return sha256.Sum256(data), true
}

// record notes that the manifest of hash sum was applied to the object key
// of app, which is now live with uid.
func (a *appliedManifests) record(app client.ObjectKey, key string, uid types.UID, sum [sha256.Size]byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	objs := a.byApp[app]
	if objs == nil {
		objs = map[string]appliedManifest{}
		a.byApp[app] = objs
	}
	objs[key] = appliedManifest{uid: uid, sum: sum}
}

// drop forgets the object key of app (something else was applied to it).
func (a *appliedManifests) drop(app client.ObjectKey, key string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.byApp[app], key)
}

// same reports whether the last apply to the object key of app, live as uid,
// was of the manifest of hash sum.
func (a *appliedManifests) same(app client.ObjectKey, key string, uid types.UID, sum [sha256.Size]byte) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	rec, ok := a.byApp[app][key]
	return ok && rec.uid == uid && rec.sum == sum
}

// forget drops what is known about an Application (it is gone).
func (a *appliedManifests) forget(app client.ObjectKey) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.byApp, app)
}
