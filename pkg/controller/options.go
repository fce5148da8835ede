package controller

import (
	"fmt"
	"net/http"
	"time"

	"github.com/go-logr/logr"

	"velad.io/velad/pkg/apis/core/v1beta1"
	"velad.io/velad/pkg/workflow"
)

// FieldManager owns every field the controller applies.
const FieldManager = "velad"

// Options configure the Application controller.
type Options struct {
	// ConcurrentReconciles is how many Applications reconcile at once (default 4).
	ConcurrentReconciles int
	// QPS and Burst limit the client (default 100 and 200).
	QPS   float32
	Burst int
	// ResyncPeriod re-reconciles every Application this often (default 5m).
	ResyncPeriod time.Duration
	// RevisionLimit is how many ApplicationRevisions each Application keeps
	// (default 10; the current and the last successful one are always kept).
	RevisionLimit int
	// DefinitionNamespace holds the shared X-Definitions (default vela-system).
	DefinitionNamespace string
	// MetricsAddr serves /metrics ("" or "0": off).
	MetricsAddr string
	// HealthProbeAddr serves /healthz and /readyz ("" or "0": off).
	HealthProbeAddr string
	// LeaderElection enables leader election (off by default).
	LeaderElection bool
	// LeaderElectionNamespace holds the election lease (default DefinitionNamespace).
	LeaderElectionNamespace string
	// Workflow tunes retries, backoff and waits of workflow steps.
	Workflow workflow.Options
	// HTTPClient sends the requests of webhook and notification steps.
	HTTPClient *http.Client
	// Clusters gives the clients of member clusters (nil: the hub only;
	// NewManager builds one from the cluster Secrets in DefinitionNamespace).
	Clusters ClusterClients
	// Logger is used by the manager and reconciler (default: from the context).
	Logger *logr.Logger
	// RevisionCompression stores the snapshot of new ApplicationRevisions compressed in
	// KubeVela's format: "zstd", "gzip" or "none" (default DefaultCompression). Compressed
	// or not, revisions are always read.
	RevisionCompression string
	// TrackerCompression stores the managed resources of ResourceTrackers compressed, as
	// RevisionCompression (default DefaultCompression).
	TrackerCompression string
}

// Values of RevisionCompression and TrackerCompression.
const (
	// CompressionNone stores the objects uncompressed (KubeVela's default).
	CompressionNone = "none"
	// DefaultCompression is velad's default, unlike KubeVela's: the API server's watch
	// caches hold every recent write decoded, and a compressed revision or tracker is a
	// short string there instead of a tree of maps (docs/benchmarks.md, issue 5: 1000
	// Applications end at ~11 % less RSS, server CPU no higher).
	DefaultCompression = v1beta1.CompressionZstd
)

// compressionType is the CompressedText type stored for an option value.
func compressionType(option string) string {
	if option == CompressionNone {
		return v1beta1.CompressionNone
	}
	return option
}

// ValidCompressionOption reports whether v is a value of RevisionCompression and
// TrackerCompression: zstd, gzip or none.
func ValidCompressionOption(v string) bool {
	return v != "" && v1beta1.ValidCompression(compressionType(v))
}

func (o *Options) validate() error {
	for _, c := range []struct{ of, v string }{{"ApplicationRevision", o.RevisionCompression}, {"ResourceTracker", o.TrackerCompression}} {
		if !ValidCompressionOption(c.v) {
			return fmt.Errorf("unknown %s compression %q: want zstd, gzip or none", c.of, c.v)
		}
	}
	return nil
}

func (o *Options) defaults() {
	if o.ConcurrentReconciles <= 0 {
		o.ConcurrentReconciles = 4
	}
	if o.QPS == 0 {
		o.QPS = 100
	}
	if o.Burst == 0 {
		o.Burst = 200
	}
	if o.ResyncPeriod == 0 {
		o.ResyncPeriod = 5 * time.Minute
	}
	if o.RevisionLimit <= 0 {
		o.RevisionLimit = 10
	}
	if o.DefinitionNamespace == "" {
		o.DefinitionNamespace = "vela-system"
	}
	if o.LeaderElectionNamespace == "" {
		o.LeaderElectionNamespace = o.DefinitionNamespace
	}
	if o.RevisionCompression == "" {
		o.RevisionCompression = DefaultCompression
	}
	if o.TrackerCompression == "" {
		o.TrackerCompression = DefaultCompression
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
}

func addr(a string) string {
	if a == "" {
		return "0"
	}
	return a
}
