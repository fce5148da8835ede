// Command veladpprof is velad with a pprof endpoint, for benchmarks only: it serves
// net/http/pprof on $VELAD_PPROF_ADDR (which must be a 127.0.0.1 address) and then runs
// velad's CLI unchanged, so `veladpprof server --data-dir …` is a velad server that can be
// profiled. velad itself has no pprof endpoint; this keeps it that way.
package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
	"os"
	"runtime"

	"k8s.io/cli-runtime/pkg/genericiooptions"

	"velad.io/velad/pkg/cli"
)

func main() {
	if addr := os.Getenv("VELAD_PPROF_ADDR"); addr != "" {
		if host, _, err := net.SplitHostPort(addr); err != nil || host != "127.0.0.1" {
			fmt.Fprintln(os.Stderr, "VELAD_PPROF_ADDR must be 127.0.0.1:<port>")
			os.Exit(2)
		}
		runtime.SetMutexProfileFraction(5)
		go func() { _ = http.ListenAndServe(addr, nil) }()
	}
	streams := genericiooptions.IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	if err := cli.Run(context.Background(), streams, os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "Error:", err)
		os.Exit(1)
	}
}
