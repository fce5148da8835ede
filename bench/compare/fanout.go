package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"velad.io/velad/pkg/proc"
)

// Metric keys of the multi-cluster fan-out (issue 7).
const (
	mFanout    = "one Application with a topology over all members → running"
	mFanoutHub = "hub RSS after the fan-out (process tree)"
)

// fanoutApp is a webservice delivered by one topology policy to every member.
func fanoutApp(members []string) string {
	return fmt.Sprintf(`apiVersion: core.oam.dev/v1beta1
kind: Application
metadata: {name: fanout, namespace: default}
spec:
  components:
  - {name: web, type: webservice, properties: {image: nginx:1.25, ports: [{port: 80}]}}
  policies:
  - {name: everywhere, type: topology, properties: {clusters: ["%s"]}}
`, strings.Join(members, `", "`))
}

// fanout installs a hub, joins the members to it, applies one
// Application whose topology selects all of them, and measures the time until it is running
// and the hub's RSS then.
func fanout(ctx context.Context, members []*veladCluster, s sample) error {
	hub, err := newVelad(members[0].bin, "hub", false)
	if err != nil {
		return err
	}
	defer hub.Close()
	wait, err := hub.Start()
	if err != nil {
		return err
	}
	if _, err := wait(); err != nil {
		return err
	}
	var names []string
	for _, m := range members {
		// The members listen on 127.0.0.1 only (as the baselines do), so the hub on this
		// host joins them by their admin kubeconfig rather than the node-IP one.
		kc, err := output(m.command("kubeconfig", "--name", m.name))
		if err != nil {
			return err
		}
		if _, err := output(hub.vela("cluster", "join", strings.TrimSpace(kc), "--name", m.name)); err != nil {
			return err
		}
		names = append(names, m.name)
	}
	file := filepath.Join(hub.home, "fanout.yaml")
	if err := os.WriteFile(file, []byte(fanoutApp(names)), 0o600); err != nil {
		return err
	}
	cfg, err := clientFor(ctx, hub.Kubeconfig(), time.Minute)
	if err != nil {
		return err
	}
	start := time.Now()
	if _, err := output(hub.vela("up", "-f", file)); err != nil {
		return err
	}
	// Polled in-process (not with a kubectl per check, which would load the host being measured).
	apps := dynamic.NewForConfigOrDie(cfg).Resource(schema.GroupVersionResource{Group: "core.oam.dev", Version: "v1beta1", Resource: "applications"})
	phase := ""
	if err := until(ctx, 3*time.Minute, "application fanout running", func() bool {
		if u, err := apps.Namespace("default").Get(ctx, "fanout", metav1.GetOptions{}); err == nil {
			phase, _, _ = unstructured.NestedString(u.Object, "status", "status")
		}
		return phase == "running"
	}); err != nil {
		st, _ := output(hub.vela("status", "fanout"))
		return fmt.Errorf("%w (phase %q):\n%s", err, phase, st)
	}
	s[mFanout] = time.Since(start).Seconds()
	s[mFanoutHub] = proc.RSSMB(hub.PIDs())
	return nil
}

// output runs cmd and returns its standard output, or an error naming the command with
// what it wrote to standard error.
func output(cmd *exec.Cmd) (string, error) {
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s: %v: %s", strings.Join(cmd.Args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return string(out), nil
}

// vela runs a vela command against the hub.
func (v *veladCluster) vela(args ...string) *exec.Cmd {
	cmd := v.command(append([]string{"vela"}, args...)...)
	cmd.Env = append(cmd.Env, "KUBECONFIG="+v.Kubeconfig())
	return cmd
}
