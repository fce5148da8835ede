package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"velad.io/velad/bench/internal/binary"
	"velad.io/velad/pkg/proc"
)

// options are the flags of the run subcommand.
type options struct {
	velad, binDir, jsonOut    string
	runs, configMaps, workers int
	deployments, replicas     int
	members                   int
	idle, timeout             time.Duration
}

func runCommand(ctx context.Context, argv []string) error {
	o := options{}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.StringVar(&o.velad, "velad", os.Getenv("VELAD_BINARY"), "velad binary")
	fs.StringVar(&o.binDir, "bin-dir", "bench/.bin", "directory with etcd, kube-apiserver, kube-controller-manager, kube-scheduler")
	fs.StringVar(&o.jsonOut, "json", "", "write the results as JSON here")
	fs.IntVar(&o.runs, "runs", 5, "runs of each side, interleaved")
	fs.IntVar(&o.configMaps, "configmaps", 2000, "ConfigMaps to create and read")
	fs.IntVar(&o.workers, "workers", 16, "concurrent client-go callers")
	fs.IntVar(&o.deployments, "deployments", 200, "Deployments to create")
	fs.IntVar(&o.replicas, "replicas", 3, "replicas per Deployment")
	fs.IntVar(&o.members, "members", 5, "velad --cluster-only members to boot")
	fs.DurationVar(&o.idle, "idle", 60*time.Second, "idle time after the cold start before measuring RSS")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "bound of every wait")
	if err := fs.Parse(argv); err != nil {
		return err
	}
	if o.velad == "" {
		return fmt.Errorf("set -velad or VELAD_BINARY to the velad binary")
	}
	installed, cleanup, err := binary.InstalledCopy(o.velad) // RSS as an installed binary has it
	if err != nil {
		return fmt.Errorf("copying the binary: %w", err)
	}
	defer cleanup()
	o.velad = installed
	rep := newReport(o)
	for i := 0; i < o.runs; i++ {
		sides := []string{"baseline", "velad"}
		if i%2 == 1 {
			sides[0], sides[1] = sides[1], sides[0]
		}
		for _, side := range sides {
			s, err := oneRun(ctx, side, o)
			if err != nil {
				return fmt.Errorf("%s run %d: %w", side, i+1, err)
			}
			fmt.Fprintf(os.Stderr, "%s run %d: %v\n", side, i+1, s)
			rep.add(side, s)
		}
	}
	if o.members > 0 {
		s, err := memberBoot(ctx, o)
		if err != nil {
			return fmt.Errorf("member boot: %w", err)
		}
		fmt.Fprintf(os.Stderr, "members: %v\n", s)
		rep.addMembers(s)
	}
	rep.finish()
	fmt.Print(rep.markdown())
	if o.jsonOut != "" {
		data, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		return os.WriteFile(o.jsonOut, append(data, '\n'), 0o644)
	}
	return nil
}

// sample holds one run's figures by metric key.
type sample map[string]float64

// oneRun boots a fresh cluster of one side and takes every measurement on it: cold start,
// idle RSS, API load, Deployments, restart after kill -9.
func oneRun(ctx context.Context, side string, o options) (sample, error) {
	var c cluster
	var err error
	if side == "baseline" {
		c, err = newBaseline(o.binDir)
	} else {
		c, err = newVelad(o.velad, "bench", false)
	}
	if err != nil {
		return nil, err
	}
	defer c.Close()
	s := sample{}
	t0 := time.Now()
	wait, err := c.Start()
	if err != nil {
		return nil, err
	}
	cfg, err := clientFor(ctx, c.Kubeconfig(), o.timeout)
	if err != nil {
		return nil, err
	}
	if err := waitReadyz(ctx, cfg, o.timeout); err != nil {
		return nil, err
	}
	s[mColdReady] = time.Since(t0).Seconds()
	if err := waitDefaults(ctx, cfg, o.timeout); err != nil {
		return nil, err
	}
	s[mColdDefaults] = time.Since(t0).Seconds()
	doneAt, err := wait()
	if err != nil {
		return nil, err
	}
	if side == "velad" {
		s[mInstall] = doneAt.Sub(t0).Seconds()
	}
	if err := sleepUntil(ctx, t0.Add(o.idle)); err != nil {
		return nil, err
	}
	s[mIdleRSS], s[mIdlePSS] = proc.RSSMB(c.PIDs()), proc.PSSMB(c.PIDs())
	create, get, err := configMapLoad(ctx, cfg, o.configMaps, o.workers)
	if err != nil {
		return nil, err
	}
	s[mCMCreate], s[mCMCreateP99], s[mCMGet], s[mCMGetP99] = create.perSecond, create.p99ms, get.perSecond, get.p99ms
	if err := waitNodeReady(ctx, cfg, o.timeout); err != nil {
		return nil, err
	}
	if s[mDeploy], err = deploymentLoad(ctx, cfg, o.deployments, o.replicas, o.workers, o.timeout); err != nil {
		return nil, err
	}
	s[mLoadedRSS] = proc.RSSMB(c.PIDs())
	c.Kill()
	t1 := time.Now()
	if wait, err = c.Start(); err != nil {
		return nil, err
	}
	if err := waitReadyz(ctx, cfg, o.timeout); err != nil {
		return nil, err
	}
	s[mRestartReady] = time.Since(t1).Seconds()
	_, err = wait()
	return s, err
}

func sleepUntil(ctx context.Context, t time.Time) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(t)):
		return nil
	}
}

// memberBoot installs o.members --cluster-only velad clusters one after the other and
// measures each install, the total, and the RSS of all of them once settled; then the
// fan-out of one Application to all of them from a hub.
func memberBoot(ctx context.Context, o options) (sample, error) {
	s := sample{}
	var members []*veladCluster
	defer func() {
		for _, m := range members {
			m.Close()
		}
	}()
	start := time.Now()
	for i := 0; i < o.members; i++ {
		m, err := newVelad(o.velad, fmt.Sprintf("member%d", i+1), true)
		if err != nil {
			return nil, err
		}
		members = append(members, m)
		t := time.Now()
		wait, err := m.Start()
		if err != nil {
			return nil, err
		}
		doneAt, err := wait()
		if err != nil {
			return nil, err
		}
		s[fmt.Sprintf("member %d", i+1)] = doneAt.Sub(t).Seconds()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	s[mMembersTotal] = time.Since(start).Seconds()
	// Past the server's first return of start-up garbage to the OS (30 s after ready).
	if err := sleepUntil(ctx, time.Now().Add(40*time.Second)); err != nil {
		return nil, err
	}
	var pids []int
	for _, m := range members {
		pids = append(pids, m.PIDs()...)
	}
	s[mMembersRSS], s[mMembersPSS] = proc.RSSMB(pids), proc.PSSMB(pids)
	if err := fanout(ctx, members, s); err != nil {
		return nil, fmt.Errorf("fan-out to %d members: %w", len(members), err)
	}
	return s, nil
}
