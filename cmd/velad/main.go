// Command velad is the one velad binary. It is multi-call: invoked as `vela` it is the vela
// CLI, as `kubectl` it is kubectl, otherwise it is velad (cluster lifecycle and server).
package main

import (
	"context"
	"fmt"
	"os"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"velad.io/velad/pkg/agent/containerd"
	"velad.io/velad/pkg/cli"
)

func main() {
	containerd.MaybeRunShim() // a runc shim of a real node never returns from here
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	if err := cli.Run(context.Background(), streams, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
