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
	m := make(map[string]any, len(fieldKeys)+len(c.Extra))
	for _, k := range fieldKeys {
		if v, ok := c.field(k); ok {
			m[k] = v
		}
	}
	for k, v := range c.Extra {
		m[k] = v
	}
	return m
}

// fieldKeys are the keys Map may set from Context's fields.
var fieldKeys = [...]string{
	"name", "appName", "namespace", "appRevision", "appRevisionNum", "revision", "componentType",
	"appLabels", "appAnnotations", "publishVersion", "cluster", "workflowName", "replicaKey",
	"clusterVersion", "components", "artifacts", "output", "outputs",
}

// lookup returns Map()[k] without building the whole map.
func (c *Context) lookup(k string) (any, bool) {
	if v, ok := c.Extra[k]; ok {
		return v, true
	}
	return c.field(k)
}

// field returns the value of context key k from Context's fields (Extra aside)
// and whether Map sets it: the optional keys are left out when unset.
func (c *Context) field(k string) (any, bool) {
	switch k {
	case "name":
		return c.Name, true
	case "appName":
		return c.AppName, true
	case "namespace":
		return c.Namespace, true
	case "appRevision":
		return c.AppRevision, true
	case "appRevisionNum":
		return c.AppRevisionNum, true
	case "revision":
		return c.Revision, true
	case "componentType":
		return c.ComponentType, true
	case "appLabels":
		return stringMap(c.AppLabels), true
	case "appAnnotations":
		return stringMap(c.AppAnnotations), true
	case "publishVersion":
		return c.PublishVersion, true
	case "cluster":
		return c.Cluster, true
	case "workflowName":
		return c.WorkflowName, true
	case "replicaKey":
		if c.ReplicaKey != "" {
			return c.ReplicaKey, true
		}
	case "clusterVersion":
		if v := c.ClusterVersion; v != nil {
			return map[string]any{"major": v.Major, "minor": v.Minor, "gitVersion": v.GitVersion, "platform": v.Platform}, true
		}
	case "components":
		if c.Components != nil {
			list := make([]any, len(c.Components))
			for i, comp := range c.Components {
				list[i] = comp
			}
			return list, true
		}
	case "artifacts":
		if c.Artifacts != nil {
			return c.Artifacts, true
		}
	case "output":
		if c.Output != nil {
			return c.Output, true
		}
	case "outputs":
		if c.Outputs != nil {
			return c.Outputs, true
		}
	}
	return nil, false
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
