package cue

// Context is the KubeVela `context` a template sees. Field names follow
// KubeVela's documentation; zero values are still set (as "" / 0 / {}) so
// templates may reference them unconditionally.
type Context struct {
	// Name is the component name (context.name).
	Name string
	// AppName is the application name (context.appName).
	AppName string
	// Namespace is the application namespace (context.namespace).
	Namespace string
	// AppRevision is the application revision name, e.g. "app-v1" (context.appRevision).
	AppRevision string
	// AppRevisionNum is the revision number (context.appRevisionNum).
	AppRevisionNum int64
	// Revision is the component revision name (context.revision).
	Revision string
	// ComponentType is the component's definition name (context.componentType).
	ComponentType string
	// AppLabels and AppAnnotations are the application's metadata (context.appLabels, context.appAnnotations).
	AppLabels, AppAnnotations map[string]string
	// PublishVersion is the app.oam.dev/publishVersion annotation (context.publishVersion).
	PublishVersion string
	// Cluster is the target cluster; "" or "local" means the hub (context.cluster).
	Cluster string
	// ReplicaKey is the replica a replication policy renders (context.replicaKey, left
	// out when "": templates test it with `context.replicaKey != _|_`).
	ReplicaKey string
	// WorkflowName is the workflow (application) name (context.workflowName).
	WorkflowName string
	// ClusterVersion is the target cluster's Kubernetes version (context.clusterVersion); nil leaves it out.
	ClusterVersion *ClusterVersion
	// Components lists the application's components as written (context.components).
	Components []map[string]any
	// Artifacts holds data produced by other components or steps (context.artifacts).
	Artifacts map[string]any
	// Output and Outputs are the component's rendered workload and auxiliary
	// objects; set for traits (context.output, context.outputs) and for status
	// evaluation, where they are the live objects.
	Output  map[string]any
	Outputs map[string]any
	// Extra is merged last and may add or override any key.
	Extra map[string]any
}

// Map returns the context as the Go value filled into `context`.
func (c *Context) Map() map[string]any {
	m := map[string]any{
		"name":           c.Name,
		"appName":        c.AppName,
		"namespace":      c.Namespace,
		"appRevision":    c.AppRevision,
		"appRevisionNum": c.AppRevisionNum,
		"revision":       c.Revision,
		"componentType":  c.ComponentType,
		"appLabels":      stringMap(c.AppLabels),
		"appAnnotations": stringMap(c.AppAnnotations),
		"publishVersion": c.PublishVersion,
		"cluster":        c.Cluster,
		"workflowName":   c.WorkflowName,
	}
	if c.ReplicaKey != "" {
		m["replicaKey"] = c.ReplicaKey
	}
	if v := c.ClusterVersion; v != nil {
		m["clusterVersion"] = map[string]any{"major": v.Major, "minor": v.Minor, "gitVersion": v.GitVersion, "platform": v.Platform}
	}
	if c.Components != nil {
		list := make([]any, len(c.Components))
		for i, comp := range c.Components {
			list[i] = comp
		}
		m["components"] = list
	}
	if c.Artifacts != nil {
		m["artifacts"] = c.Artifacts
	}
	if c.Output != nil {
		m["output"] = c.Output
	}
	if c.Outputs != nil {
		m["outputs"] = c.Outputs
	}
	for k, v := range c.Extra {
		m[k] = v
	}
	return m
}

// callerKeys are the context keys Map fills with the caller's own Go values
// (typed any); every other key comes from a string, integer or string-map field.
var callerKeys = [...]string{"components", "artifacts", "output", "outputs"}

// bytesIn reports whether m, Map's result for c (or a projection of it), holds
// a []byte. Only the caller's values can, so only they are walked — unless
// Extra, which may set any key, is used.
func (c *Context) bytesIn(m map[string]any) bool {
	if len(c.Extra) > 0 {
		return hasBytes(m)
	}
	for _, k := range callerKeys {
		if v, ok := m[k]; ok && hasBytes(v) {
			return true
		}
	}
	return false
}

// ClusterVersion is KubeVela's context.clusterVersion: minor is a number, so
// templates can write `if context.clusterVersion.minor < 19 {...}`.
type ClusterVersion struct {
	Major, Minor         int64
	GitVersion, Platform string
}

func stringMap(in map[string]string) map[string]any {
	out := make(map[string]any, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}
