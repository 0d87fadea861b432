package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/leader"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/scheduler"
)

// healthRound is the watchdog interval of these tests: short, so that a
// condition is seen within a second.
const healthRound = 250 * time.Millisecond

// healthSystem is a system whose scheduler checks health every
// healthRound; with lead false, another candidate holds the lease and
// never fires (a silent leader), so the replica only watches.
type healthSystem struct {
	*system
	reg    *prometheus.Registry
	silent *leader.Elector
}

func startHealth(t *testing.T, workers int, silentLeader bool) *healthSystem {
	t.Helper()
	srv := natstest.RunJetStream(t)
	nc := natstest.Connect(t, srv)
	topo := natstest.Topology(t)
	hs := &healthSystem{system: &system{t: t, srv: srv, nc: nc, topo: topo}}
	if silentLeader {
		hs.startSilentLeader()
	}
	hs.startScheduler()
	for range workers {
		hs.addWorker(options{})
	}
	cl, err := client.New(nc, client.WithNamespace(topo.Namespace))
	require.NoError(t, err)
	hs.client = cl
	if !silentLeader {
		natstest.Eventually(t, 10*time.Second, hs.sched.Leading, "the scheduler leads")
	}
	return hs
}

// startSilentLeader starts a candidate that, once it leads, holds the lease
// and fires nothing (a wedged leader), and waits until it leads.
func (hs *healthSystem) startSilentLeader() {
	t := hs.t
	js, err := jetstream.New(hs.nc)
	require.NoError(t, err)
	natstest.Ensure(t, js, hs.topo)
	kv, err := js.KeyValue(t.Context(), hs.topo.Names().LeaderBucket())
	require.NoError(t, err)
	el, err := leader.New(kv, leader.Config{ID: "silent", Key: topology.LeaderKey, TTL: hs.topo.LeaseTTL,
		OnLead: func(ctx context.Context, _ *leader.Lease) { <-ctx.Done() }})
	require.NoError(t, err)
	require.NoError(t, el.Start(t.Context()))
	t.Cleanup(func() { _ = el.Stop(context.Background()) })
	natstest.Eventually(t, 20*time.Second, func() bool { l := el.Leading(); return l != nil && l.Valid() }, "the silent candidate leads")
	hs.silent = el
}

// startScheduler starts a scheduler replica (again) with fresh metrics.
func (hs *healthSystem) startScheduler() {
	t := hs.t
	hs.reg = prometheus.NewRegistry()
	sc, err := scheduler.New(natstest.Connect(t, hs.srv), scheduler.Config{Topology: hs.topo, FlushInterval: 200 * time.Millisecond,
		WatchdogInterval: healthRound, Metrics: scheduler.NewMetrics(hs.reg, scheduler.DefaultJobSeries)})
	require.NoError(t, err)
	require.NoError(t, sc.Start(t.Context()))
	t.Cleanup(func() { _ = sc.Stop(context.Background()) })
	hs.sched = sc
}

// alerts reads a job's alerts from the alerts stream, oldest first.
func (hs *healthSystem) alerts(name string) []alert.Alert {
	hs.t.Helper()
	names := hs.topo.Names()
	ctx, cancel := context.WithTimeout(hs.t.Context(), 10*time.Second)
	defer cancel()
	msgs, err := streamio.DirectBatch(ctx, hs.nc, streamio.DirectRequest{Stream: names.AlertsStream(), Filter: names.AlertSubject(name), Seq: 1, Batch: 1000})
	require.NoError(hs.t, err)
	var out []alert.Alert
	for _, m := range msgs {
		a, err := alert.Decode(m.Data)
		require.NoError(hs.t, err)
		out = append(out, a)
	}
	return out
}

// waitAlert waits for a job's alert of health h and returns it.
func (hs *healthSystem) waitAlert(name string, h alert.Health, d time.Duration) alert.Alert {
	hs.t.Helper()
	var found alert.Alert
	deadline := time.Now().Add(d)
	for {
		for _, a := range hs.alerts(name) {
			if a.Health == h {
				found = a
			}
		}
		if found.Health == h {
			return found
		}
		if time.Now().After(deadline) {
			hs.t.Fatalf("no %s alert of %s within %s; alerts: %+v", h, name, d, hs.alerts(name))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// healths returns the healths of a job's alerts, in order.
func healths(as []alert.Alert) []alert.Health {
	out := make([]alert.Health, len(as))
	for i, a := range as {
		out[i] = a.Health
	}
	return out
}

// jobJSON is `job get -o json`.
func (hs *healthSystem) jobJSON(name string) api.JobView {
	hs.t.Helper()
	var v api.JobView
	require.NoError(hs.t, json.Unmarshal([]byte(hs.ok("job", "get", name, "-o", "json")), &v))
	return v
}

// listHealth returns the HEALTH column of a job in `job list`.
func (hs *healthSystem) listHealth(name string) string {
	hs.t.Helper()
	lines := strings.Split(hs.ok("job", "list"), "\n")
	head := strings.Fields(lines[0])
	col := -1
	for i, h := range head {
		if h == "HEALTH" {
			col = i
		}
	}
	require.NotEqual(hs.t, -1, col, "job list has a HEALTH column:\n%s", strings.Join(lines, "\n"))
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > 0 && f[0] == name {
			// Columns before HEALTH hold no spaces in these tests' jobs
			// except SCHEDULE and TASK, so count from the end: HEALTH is
			// followed by NEXT (one field, or "-").
			return f[len(f)-2]
		}
	}
	hs.t.Fatalf("job %s not in job list", name)
	return ""
}

// gauge reads a per-job metric of the scheduler.
func (hs *healthSystem) gauge(metric, name string) (float64, bool) {
	mfs, err := hs.reg.Gather()
	require.NoError(hs.t, err)
	for _, mf := range mfs {
		if mf.GetName() != metric {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "jetcron_job" && l.GetValue() == name {
					if m.GetGauge() != nil {
						return m.GetGauge().GetValue(), true
					}
					return float64(m.GetHistogram().GetSampleCount()), true
				}
			}
		}
	}
	return 0, false
}

// runNow runs a job now and waits until the execution ends.
func (hs *healthSystem) runNow(name string, states ...job.State) string {
	hs.t.Helper()
	r, err := hs.client.RunJob(hs.t.Context(), name, nil, false)
	require.NoError(hs.t, err)
	hs.waitState(r.ExecutionID, 30*time.Second, states...)
	return r.ExecutionID
}

// A job whose queue has no worker: its slot is published and does not
// start within the expectation's grace, so the job is late, in the alert
// stream, `job list`, `job get` and the metrics. Then the leader stops and
// a silent candidate takes the lease: the slots are no longer fired, and
// the replica that watches raises unaccounted.
func TestHealthLateThenUnaccounted(t *testing.T) {
	t.Parallel()
	hs := startHealth(t, 1, false)
	hs.ok("job", "create", "nobody", "--every", "1s", "--queue", "nobody-here", "--expect-start-within", "1s", "--", "true")

	a := hs.waitAlert("nobody", alert.Late, 20*time.Second)
	require.Equal(t, alert.OK, a.Previous)
	require.False(t, a.Slot.IsZero(), "the alert names the slot")
	require.Contains(t, a.Reason, "has not started within 1s")
	require.Equal(t, hs.sched.ID(), a.Detector)

	require.Equal(t, "late", hs.listHealth("nobody"))
	v := hs.jobJSON("nobody")
	require.NotNil(t, v.Health)
	require.Equal(t, alert.Late, v.Health.Health)
	require.True(t, v.Health.Slot.Equal(a.Slot))
	require.Equal(t, job.Expect{StartWithin: job.Duration(time.Second)}, v.Expect)
	require.Contains(t, hs.ok("job", "get", "nobody"), "late: slot ")
	g, ok := hs.gauge("jetcron_job_health", "nobody")
	require.True(t, ok)
	require.Equal(t, 2.0, g, "jetcron_job_health: 2 is late")
	// The slot ledger's grace is the job's expectation.
	var l struct {
		Grace string         `json:"grace"`
		Fired map[string]int `json:"fired"`
	}
	require.NoError(t, json.Unmarshal([]byte(hs.ok("job", "audit", "nobody", "--since", "1m", "-o", "json")), &l))
	require.Equal(t, "1s", l.Grace)
	require.Positive(t, l.Fired["late"], "%+v", l)
	// One change, one alert, however many rounds saw it.
	require.NoError(t, hs.sched.CheckHealth(t.Context()))
	require.Equal(t, []alert.Health{alert.Late}, healths(hs.alerts("nobody")))

	// The leader goes; a candidate that fires nothing takes its lease; a
	// new replica only watches.
	stopped := time.Now()
	require.NoError(t, hs.sched.Stop(t.Context()))
	hs.startSilentLeader()
	hs.startScheduler()
	u := hs.waitAlert("nobody", alert.Unaccounted, 20*time.Second)
	require.False(t, hs.sched.Leading())
	require.Equal(t, alert.Late, u.Previous)
	require.True(t, u.Slot.After(stopped.Add(-time.Second)), "slot %s, leader stopped at %s", u.Slot, stopped)
	require.Equal(t, hs.sched.ID(), u.Detector)
	require.Equal(t, []alert.Health{alert.Late, alert.Unaccounted}, healths(hs.alerts("nobody")))
}

// A leader that holds its lease and fires nothing: the replica that does
// not lead raises an unaccounted alert naming the job and the slot; once
// the silent leader lets go, the replica leads, catches the slots up, and
// the job is ok again.
func TestHealthUnaccountedWhenTheLeaderIsSilent(t *testing.T) {
	t.Parallel()
	hs := startHealth(t, 1, true)
	require.False(t, hs.sched.Leading())
	created := time.Now()
	hs.ok("job", "create", "ticker", "--every", "1s", "--expect-start-within", "1s", "--", "true")

	a := hs.waitAlert("ticker", alert.Unaccounted, 20*time.Second)
	require.Equal(t, alert.OK, a.Previous)
	require.True(t, a.Slot.After(created.Add(-time.Second)), "slot %s of a job created at %s", a.Slot, created)
	require.Contains(t, a.Reason, "was neither fired nor recorded within 1s")
	require.Equal(t, "ticker/unaccounted/"+a.Slot.UTC().Format("20060102T150405Z")+"/ok", a.MsgID())
	require.Equal(t, hs.sched.ID(), a.Detector, "the replica that does not lead saw it")
	require.False(t, hs.sched.Leading())
	require.Equal(t, "unaccounted", hs.listHealth("ticker"))
	require.Equal(t, alert.Unaccounted, hs.jobJSON("ticker").Health.Health)

	require.NoError(t, hs.silent.Stop(t.Context()))
	natstest.Eventually(t, 20*time.Second, hs.sched.Leading, "the watching replica takes over")
	ok := hs.waitAlert("ticker", alert.OK, 30*time.Second)
	require.Equal(t, alert.Unaccounted, ok.Previous)
	require.True(t, ok.Slot.Equal(a.Slot), "the ok alert names the slot now accounted for")
	require.Equal(t, []alert.Health{alert.Unaccounted, alert.OK}, healths(hs.alerts("ticker"))[:2])
}

// A failing job is failing after --alert-after-failures failed
// executions, and stays so across a scheduler restart (the count is not
// counted twice, no alert is repeated); a success makes it ok.
func TestHealthFailingThenOKAcrossARestart(t *testing.T) {
	t.Parallel()
	hs := startHealth(t, 1, false)
	flag := filepath.Join(t.TempDir(), "ok")
	// A yearly schedule: every run of this test is a manual one.
	hs.ok("job", "create", "flaky", "--cron", "0 0 1 1 *", "--alert-after-failures", "2", "--", "test", "-f", flag)

	hs.runNow("flaky", job.StateFailed)
	var v api.JobView
	natstest.Eventually(t, 10*time.Second, func() bool {
		require.NoError(t, hs.sched.CheckHealth(t.Context()))
		v = hs.jobJSON("flaky")
		return v.Health != nil && v.Health.ConsecutiveFailures == 1
	}, "the first failure is counted")
	require.Equal(t, alert.OK, v.Health.Health, "one failure of two")

	second := hs.runNow("flaky", job.StateFailed)
	a := hs.waitAlert("flaky", alert.Failing, 10*time.Second)
	require.Equal(t, alert.OK, a.Previous)
	require.Equal(t, second, a.Execution, "the alert names the failure that reached the threshold")
	require.Contains(t, a.Reason, "2 consecutive failed executions")
	require.Equal(t, "failing", hs.listHealth("flaky"))
	natstest.Eventually(t, 10*time.Second, func() bool { g, _ := hs.gauge("jetcron_job_consecutive_failures", "flaky"); return g == 2 }, "consecutive failures metric")
	g, _ := hs.gauge("jetcron_job_health", "flaky")
	require.Equal(t, 4.0, g, "jetcron_job_health: 4 is failing")

	// Restart: the new replica reads the stored state back.
	require.NoError(t, hs.sched.Stop(t.Context()))
	hs.startScheduler()
	natstest.Eventually(t, 10*time.Second, hs.sched.Leading, "the new scheduler leads")
	natstest.Eventually(t, 10*time.Second, func() bool {
		require.NoError(t, hs.sched.CheckHealth(t.Context()))
		g, ok := hs.gauge("jetcron_job_health", "flaky")
		return ok && g == 4
	}, "the restarted replica's watchdog runs")
	v = hs.jobJSON("flaky")
	require.Equal(t, alert.Failing, v.Health.Health)
	require.Equal(t, 2, v.Health.ConsecutiveFailures, "replayed events are not counted twice")
	hs.runNow("flaky", job.StateFailed)
	natstest.Eventually(t, 10*time.Second, func() bool {
		require.NoError(t, hs.sched.CheckHealth(t.Context()))
		return hs.jobJSON("flaky").Health.ConsecutiveFailures == 3
	}, "a third failure is counted")
	require.Equal(t, []alert.Health{alert.Failing}, healths(hs.alerts("flaky")), "no alert repeated by the restart")

	require.NoError(t, os.WriteFile(flag, nil, 0o644))
	success := hs.runNow("flaky", job.StateSucceeded)
	ok := hs.waitAlert("flaky", alert.OK, 10*time.Second)
	require.Equal(t, alert.Failing, ok.Previous)
	require.Equal(t, success, ok.Execution)
	require.Equal(t, []alert.Health{alert.Failing, alert.OK}, healths(hs.alerts("flaky")))
	v = hs.jobJSON("flaky")
	require.Equal(t, alert.OK, v.Health.Health)
	require.Zero(t, v.Health.ConsecutiveFailures)
	require.False(t, v.Health.LastSuccess.IsZero())
	natstest.Eventually(t, 10*time.Second, func() bool {
		ts, ok := hs.gauge("jetcron_job_last_success_timestamp_seconds", "flaky")
		return ok && ts > float64(time.Now().Add(-time.Minute).Unix())
	}, "last success metric")
}

// A run longer than --max-runtime makes its job overrunning while it runs
// (it is not stopped); a success sooner than --min-runtime makes it
// too_short.
func TestHealthOverrunningAndTooShort(t *testing.T) {
	t.Parallel()
	hs := startHealth(t, 1, false)
	hs.ok("job", "create", "slow", "--cron", "0 0 1 1 *", "--max-runtime", "1s", "--", "sleep", "3")
	r, err := hs.client.RunJob(t.Context(), "slow", nil, false)
	require.NoError(t, err)
	a := hs.waitAlert("slow", alert.Overrunning, 15*time.Second)
	require.Equal(t, r.ExecutionID, a.Execution)
	require.Contains(t, a.Reason, "longer than max runtime 1s")
	x := hs.waitState(r.ExecutionID, 30*time.Second, job.StateSucceeded)
	require.Equal(t, job.StateSucceeded, x.State, "an overrunning run is not stopped")
	ok := hs.waitAlert("slow", alert.OK, 10*time.Second)
	require.Equal(t, alert.Overrunning, ok.Previous)
	require.Equal(t, r.ExecutionID, ok.Execution)

	hs.ok("job", "create", "quick", "--cron", "0 0 1 1 *", "--min-runtime", "5s", "--", "true")
	id := hs.runNow("quick", job.StateSucceeded)
	a = hs.waitAlert("quick", alert.TooShort, 10*time.Second)
	require.Equal(t, id, a.Execution)
	require.Equal(t, "too_short", hs.listHealth("quick"))
}

// Expectations are refused with the field named, from the command line
// and from a file, and shown by job get.
func TestExpectationsBadInput(t *testing.T) {
	t.Parallel()
	hs := startHealth(t, 0, false)
	for _, c := range []struct {
		args  []string
		field string
	}{
		{[]string{"--expect-start-within", "-5s"}, "expect.start_within"},
		{[]string{"--max-runtime", "nope"}, "expect.max_runtime"},
		{[]string{"--min-runtime", "-1s"}, "expect.min_runtime"},
		{[]string{"--alert-after-failures", "0"}, "expect.alert_after_failures"},
		{[]string{"--alert-after-failures", "-2"}, "expect.alert_after_failures"},
		{[]string{"--min-runtime", "1m", "--max-runtime", "10s"}, "expect.min_runtime"},
	} {
		r := hs.cli(append(append([]string{"job", "create", "bad", "--every", "1m"}, c.args...), "--", "true")...)
		require.NotEqual(t, 0, r.code, "%v", c.args)
		require.Contains(t, r.err, c.field, "%v", c.args)
	}
	_, err := hs.client.GetJob(t.Context(), "bad")
	require.ErrorIs(t, err, job.ErrNotFound, "nothing was created")

	file := filepath.Join(t.TempDir(), "jobs.yaml")
	require.NoError(t, os.WriteFile(file, []byte("name: fromfile\nschedule: {every: 1m}\ntask: {kind: command, command: [\"true\"]}\nexpect:\n  start_within: 30s\n  max_runtime: 10m\n  alert_after_failures: 3\n"), 0o644))
	hs.ok("apply", "-f", file)
	v := hs.jobJSON("fromfile")
	require.Equal(t, job.Expect{StartWithin: job.Duration(30 * time.Second), MaxRuntime: job.Duration(10 * time.Minute), AlertAfterFailures: 3}, v.Expect)
	require.Contains(t, hs.ok("job", "get", "fromfile"), "start within 30s, max runtime 10m, alert after 3 failures")
	// What job get -o json prints, health included, applies unchanged.
	natstest.Eventually(t, 10*time.Second, func() bool { return hs.jobJSON("fromfile").Health != nil }, "the job has a health")
	got := filepath.Join(t.TempDir(), "got.json")
	require.NoError(t, os.WriteFile(got, []byte(hs.ok("job", "get", "fromfile", "-o", "json")), 0o644))
	require.Contains(t, hs.ok("apply", "-f", got), "unchanged")

	require.NoError(t, os.WriteFile(file, []byte("name: fromfile\nschedule: {every: 1m}\ntask: {kind: command, command: [\"true\"]}\nexpect:\n  max_runtime: -1m\n"), 0o644))
	r := hs.cli("apply", "-f", file)
	require.NotEqual(t, 0, r.code)
	require.Contains(t, r.err, "expect.max_runtime")
	require.Equal(t, job.Duration(10*time.Minute), hs.jobJSON("fromfile").Expect.MaxRuntime, "the refused file changed nothing")
}
