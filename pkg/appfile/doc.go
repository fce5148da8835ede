// Package appfile turns a KubeVela Application plus X-Definitions into rendered
// Kubernetes objects, without a cluster.
//
// The work is split as in KubeVela (STYLE.md P14):
//   - parser.go reads an Application and resolves every component, trait,
//     policy and workflow-step type through a Loader into an Appfile;
//   - template.go turns a Definition into the Template the CUE engine runs;
//   - appfile.go renders an Appfile: per component a workload, its auxiliary
//     outputs and its traits' objects, stamped with KubeVela's labels;
//   - validate.go checks what can be checked before rendering (names,
//     dependsOn, appliesToWorkloads, conflictsWith).
//
// Definitions come through one Loader interface (STYLE.md P12, A8): from files
// or directories (YAML X-Definitions or `vela def` CUE files), from the
// embedded built-ins, from several sources chained, and — implemented by the
// controller — from a cluster.
//
// appfile must not import pkg/server, pkg/controller or anything that needs an
// API server: dry-run works offline.
package appfile
