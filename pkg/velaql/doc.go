// Package velaql owns VelaQL, KubeVela's query language over views. A view is a CUE template
// stored, as KubeVela stores it, in a ConfigMap of vela-system under the key "template"
// (addons ship theirs in views/). A query `view{key=value,...}.field` fills the view's
// `parameter`, runs its read actions (vela/ql, vela/op: read, list, ...) with pkg/workflow's
// action runtime and returns the field (`status` by default).
//
// It reads the cluster through a controller-runtime client; it must not import pkg/cli,
// pkg/server or pkg/controller.
package velaql
