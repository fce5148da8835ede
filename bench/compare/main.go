// Command compare benchmarks velad against the stock upstream control plane (separate etcd,
// kube-apiserver, kube-controller-manager and kube-scheduler processes started with velad's
// certificates and flags, plus velad's kwok node in a process of its own), alternating
// baseline and velad runs. It prints a Markdown table of medians, minima, maxima and
// velad/baseline ratios with their targets, and writes the same figures as JSON.
//
// Subcommands:
//
//	compare run  ...   the benchmark (see -h)
//	compare node ...   run velad's simulated node against a cluster (the baseline's node process)
//	compare profile .. save CPU and heap profiles of a velad server (its VELAD_PPROF_ADDR endpoint)
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: compare run|node|profile [flags]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "run":
		err = runCommand(ctx, os.Args[2:])
	case "node":
		err = nodeCommand(ctx, os.Args[2:])
	case "profile":
		err = profileCommand(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown subcommand %q: use run, node or profile", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}
