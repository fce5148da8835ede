package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"velad.io/velad/pkg/server/node"
)

// nodeCommand runs velad's simulated node (the same kwok code the velad server embeds) against
// the cluster of -kubeconfig, retrying until the API answers, until ctx is done.
func nodeCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("node", flag.ContinueOnError)
	n := node.Simulated{}
	fs.StringVar(&n.Name, "name", "bench-node", "node name")
	fs.StringVar(&n.IP, "ip", "", "node InternalIP")
	fs.StringVar(&n.PodCIDR, "pod-cidr", "10.42.0.0/16", "range pod IPs are taken from")
	fs.StringVar(&n.Kubeconfig, "kubeconfig", "", "admin kubeconfig of the cluster")
	if err := fs.Parse(args); err != nil {
		return err
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		err := n.Run(ctx)
		if err == nil || ctx.Err() != nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("simulated node never started: %w", err)
		}
		fmt.Fprintln(os.Stderr, "node: retrying:", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}
