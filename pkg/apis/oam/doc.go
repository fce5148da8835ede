// Package oam names the label, annotation and finalizer keys that KubeVela-compatible
// tooling reads and writes on Applications, definitions and the resources rendered from
// them. Every value is the exact string KubeVela uses, so objects created by velad are
// recognised by vela tooling and vice versa.
//
// It holds constants only and must not import anything.
package oam
