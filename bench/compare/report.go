package main

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"
)

// Metric keys.
const (
	mColdReady    = "cold start → /readyz OK"
	mColdDefaults = "cold start → default namespaces + default ServiceAccount"
	mInstall      = "velad install → ready (command returns)"
	mRestartReady = "restart after kill -9 → /readyz OK"
	mIdleRSS      = "idle RSS (process tree)"
	mIdlePSS      = "idle PSS (process tree; shared pages counted once)"
	mCMCreate     = "ConfigMap creates"
	mCMCreateP99  = "ConfigMap create p99"
	mCMGet        = "ConfigMap reads"
	mCMGetP99     = "ConfigMap read p99"
	mDeploy       = "Deployments → all pods Ready"
	mLoadedRSS    = "RSS after the loads (process tree)"
	mMembersTotal = "boot of all members (sequential installs)"
	mMemberEach   = "boot of one member (install → ready)"
	mMembersRSS   = "RSS of all members 40 s after the last boot"
	mMembersPSS   = "PSS of all members 40 s after the last boot (shared binary pages counted once)"
)

// metric describes a row: its unit, and the target it is held to (by ratio or absolute).
type metric struct {
	key, unit string
	// ratioMax/ratioMin bound velad/baseline (0: none); absMax bounds velad's median.
	ratioMax, ratioMin, absMax float64
}

func metrics() []metric {
	return []metric{
		{key: mColdReady, unit: "s", ratioMax: 0.5},
		{key: mColdDefaults, unit: "s", ratioMax: 0.5},
		{key: mInstall, unit: "s", absMax: 5},
		{key: mRestartReady, unit: "s", ratioMax: 0.5},
		{key: mIdleRSS, unit: "MB", ratioMax: 0.5},
		{key: mIdlePSS, unit: "MB"},
		{key: mCMCreate, unit: "ops/s", ratioMin: 0.8},
		{key: mCMCreateP99, unit: "ms"},
		{key: mCMGet, unit: "ops/s", ratioMin: 0.8},
		{key: mCMGetP99, unit: "ms"},
		{key: mDeploy, unit: "s"},
		{key: mLoadedRSS, unit: "MB"},
	}
}

// stats are one side's values of a metric.
type stats struct {
	Values []float64 `json:"values"`
	Median float64   `json:"median"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
}

func newStats(vals []float64) *stats {
	if len(vals) == 0 {
		return nil
	}
	s := append([]float64(nil), vals...)
	sort.Float64s(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return &stats{Values: vals, Median: med, Min: s[0], Max: s[len(s)-1]}
}

// row is one line of the results.
type row struct {
	Name     string   `json:"name"`
	Unit     string   `json:"unit"`
	Baseline *stats   `json:"baseline,omitempty"`
	Velad    *stats   `json:"velad,omitempty"`
	Ratio    *float64 `json:"ratio,omitempty"`
	Target   string   `json:"target,omitempty"`
	Met      *bool    `json:"met,omitempty"`
	Note     string   `json:"note,omitempty"`
}

// report collects the samples of a run and renders them.
type report struct {
	Machine  string `json:"machine"`
	LoadAvg  string `json:"loadAverage"`
	Started  string `json:"started"`
	Finished string `json:"finished"`
	Runs     int    `json:"runs"`
	Counts   string `json:"counts"`
	Rows     []row  `json:"rows"`
	opts     options
	samples  map[string][]sample
	members  sample
}

func newReport(o options) *report {
	return &report{
		Machine: machine(), LoadAvg: loadAvg(), Started: time.Now().UTC().Format(time.RFC3339), Runs: o.runs,
		Counts: fmt.Sprintf("%d ConfigMaps (%d workers), %d Deployments × %d replicas, %d members, idle %s",
			o.configMaps, o.workers, o.deployments, o.replicas, o.members, o.idle),
		opts: o, samples: map[string][]sample{},
	}
}

func (r *report) add(side string, s sample) { r.samples[side] = append(r.samples[side], s) }
func (r *report) addMembers(s sample)       { r.members = s }

func (r *report) values(side, key string) []float64 {
	var out []float64
	for _, s := range r.samples[side] {
		if v, ok := s[key]; ok {
			out = append(out, v)
		}
	}
	return out
}

// finish computes the rows, ratios and verdicts.
func (r *report) finish() {
	r.Finished = time.Now().UTC().Format(time.RFC3339)
	r.LoadAvg += " → " + loadAvg()
	for _, m := range metrics() {
		rw := row{Name: r.label(m.key), Unit: m.unit, Baseline: newStats(r.values("baseline", m.key)), Velad: newStats(r.values("velad", m.key))}
		if rw.Baseline != nil && rw.Velad != nil && rw.Baseline.Median > 0 {
			ratio := rw.Velad.Median / rw.Baseline.Median
			rw.Ratio = &ratio
			switch {
			case m.ratioMax > 0:
				rw.Target, rw.Met = fmt.Sprintf("ratio ≤ %.1f", m.ratioMax), ptrBool(ratio <= m.ratioMax)
			case m.ratioMin > 0:
				rw.Target, rw.Met = fmt.Sprintf("ratio ≥ %.1f", m.ratioMin), ptrBool(ratio >= m.ratioMin)
			}
		}
		if m.absMax > 0 && rw.Velad != nil {
			rw.Target, rw.Met = fmt.Sprintf("≤ %.0f %s", m.absMax, m.unit), ptrBool(rw.Velad.Median <= m.absMax)
		}
		r.Rows = append(r.Rows, rw)
	}
	r.memberRows()
	r.Rows = append(r.Rows, row{Name: "1,000 Applications → running (apps/s, reconcile p99)", Unit: "apps/s, ms",
		Target: "≥ 20 apps/s, p99 ≤ 200 ms", Note: "velad only: measured by bench/apps, see the section Delivering Applications (issues 5 and 10)"})
}

func (r *report) memberRows() {
	if r.members == nil {
		return
	}
	var each []float64
	for k, v := range r.members {
		if strings.HasPrefix(k, "member ") {
			each = append(each, v)
		}
	}
	n := len(each)
	r.Rows = append(r.Rows,
		row{Name: fmt.Sprintf("%s (%d)", mMembersTotal, n), Unit: "s", Velad: newStats([]float64{r.members[mMembersTotal]})},
		row{Name: mMemberEach, Unit: "s", Velad: newStats(each), Target: "≤ 5 s (issue 3)", Met: ptrBool(newStats(each).Median <= 5)},
		row{Name: fmt.Sprintf("%s (%d)", mMembersRSS, n), Unit: "MB", Velad: newStats([]float64{r.members[mMembersRSS]}),
			Target: fmt.Sprintf("≤ %d MB (200 MB each, issue 3)", 200*n), Met: ptrBool(r.members[mMembersRSS] <= float64(200*n))},
		row{Name: fmt.Sprintf("%s (%d)", mMembersPSS, n), Unit: "MB", Velad: newStats([]float64{r.members[mMembersPSS]})},
		row{Name: fmt.Sprintf("%s (%d)", mFanout, n), Unit: "s", Velad: newStats([]float64{r.members[mFanout]}),
			Target: "≤ 5 s (issue 7)", Met: ptrBool(r.members[mFanout] <= 5)},
		row{Name: mFanoutHub, Unit: "MB", Velad: newStats([]float64{r.members[mFanoutHub]})},
	)
}

func (r *report) label(key string) string {
	o := r.opts
	switch key {
	case mIdleRSS, mIdlePSS:
		return fmt.Sprintf("%s, %s after start", key, o.idle)
	case mCMCreate, mCMGet:
		return fmt.Sprintf("%s (%d, %d workers)", key, o.configMaps, o.workers)
	case mDeploy:
		return fmt.Sprintf("%d %s (× %d replicas)", o.deployments, key, o.replicas)
	}
	return key
}

func ptrBool(b bool) *bool { return &b }

// markdown renders the rows as a table.
func (r *report) markdown() string {
	var b strings.Builder
	fmt.Fprintln(&b, "| measure | unit | baseline median (min–max) | velad median (min–max) | velad / baseline | target | met |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|")
	for _, rw := range r.Rows {
		ratio, met := "—", ""
		if rw.Ratio != nil {
			ratio = fmt.Sprintf("%.2f", *rw.Ratio)
		}
		if rw.Met != nil {
			met = map[bool]string{true: "✅", false: "❌ missed"}[*rw.Met]
		}
		if rw.Note != "" {
			met = rw.Note
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", rw.Name, rw.Unit, cell(rw.Baseline), cell(rw.Velad), ratio, rw.Target, met)
	}
	return b.String()
}

func cell(s *stats) string {
	switch {
	case s == nil:
		return "—"
	case len(s.Values) == 1:
		return num(s.Median)
	}
	return fmt.Sprintf("%s (%s–%s)", num(s.Median), num(s.Min), num(s.Max))
}

func num(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// machine describes the host: CPU model, cores, memory, kernel, Go version.
func machine() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	var memGiB float64
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		fmt.Sscanf(strings.SplitN(string(data), "\n", 2)[0], "MemTotal: %f kB", &kb)
		memGiB = kb / (1 << 20)
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("%s, %d cores, %.0f GiB, kernel %s, %s", model, runtime.NumCPU(), memGiB, strings.TrimSpace(string(kernel)), runtime.Version())
}

func loadAvg() string {
	data, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
