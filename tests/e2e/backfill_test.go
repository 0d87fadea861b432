package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/backfill"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/scheduler"
)

func countBy(xs []job.Execution, keep func(job.Execution) bool) int {
	n := 0
	for _, x := range xs {
		if keep(x) {
			n++
		}
	}
	return n
}

func (s *system) backfills(name string) []backfill.Backfill {
	s.t.Helper()
	var out []backfill.Backfill
	require.NoError(s.t, json.Unmarshal([]byte(s.ok("job", "backfill", name, "--list", "-o", "json")), &out))
	return out
}

// TestBackfill: a job fails, then succeeds, then is paused; a dry run of a
// backfill of that window lists the failed and paused slots to run and the
// succeeded ones skipped, and changes nothing; the backfill runs exactly
// those slots once each, with trigger backfill; a second backfill of the
// window finds nothing to run. Bad flags are named and change nothing.
func TestBackfill(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	dir := natstest.SharedDir(t)
	ok := filepath.Join(dir, "ok")
	from := time.Now().Add(-time.Second).UTC().Truncate(time.Second)
	s.ok("job", "create", "flaky", "--every", "1s", "--overlap", "allow", "--", "sh", "-c", "test -f "+ok)
	natstest.Eventually(t, 20*time.Second, func() bool {
		return countBy(s.executions("flaky"), func(x job.Execution) bool { return x.State == job.StateFailed }) >= 2
	}, "two runs fail")
	require.NoError(t, os.WriteFile(ok, nil, 0o644))
	natstest.Eventually(t, 20*time.Second, func() bool {
		return countBy(s.executions("flaky"), func(x job.Execution) bool { return x.State == job.StateSucceeded }) >= 2
	}, "two runs succeed")
	s.ok("job", "disable", "flaky", "--reason", "outage")
	time.Sleep(2500 * time.Millisecond) // slots go by while it is paused
	s.ok("job", "create", "flaky", "--update", "--every", "1h", "--overlap", "allow", "--", "sh", "-c", "test -f "+ok)
	to := time.Now().UTC().Truncate(time.Second)
	// Wait until every run of the window has ended.
	natstest.Eventually(t, 20*time.Second, func() bool {
		return countBy(s.executions("flaky"), func(x job.Execution) bool { return !x.State.Final() }) == 0
	}, "the window's runs end")
	window := []string{"--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339)}
	before := s.executions("flaky")

	// Bad input: named, nothing changes.
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{"--from", to.Format(time.RFC3339), "--to", from.Format(time.RFC3339)}, "--to"},
		{[]string{"--from", from.Format(time.RFC3339), "--to", time.Now().Add(time.Hour).Format(time.RFC3339)}, "--to"},
		{append(append([]string{}, window...), "--max-parallel", "0"), "--max-parallel"},
		{append(append([]string{}, window...), "--only", "some"), "--only"},
		{[]string{"--to", to.Format(time.RFC3339)}, "--from"},
	} {
		r := s.cli(append([]string{"job", "backfill", "flaky"}, c.args...)...)
		require.Equal(t, 2, r.code, "%v: %s", c.args, r.err)
		require.Contains(t, r.err, c.flag, c.args)
	}
	_, err := s.client.Backfill(t.Context(), api.BackfillRequest{Name: "flaky", From: from, To: to, MaxParallel: 0})
	require.ErrorIs(t, err, job.ErrInvalid)
	var ae *api.Error
	require.ErrorAs(t, err, &ae)
	require.Equal(t, "max_parallel", ae.Field, "the API names the field too")

	// The dry run: exactly the failed and paused slots run.
	out := s.ok(append(append([]string{"job", "backfill", "flaky"}, window...), "--only", "all", "--dry-run")...)
	t.Logf("job backfill --dry-run:\n%s", out)
	var dry api.BackfillResponse
	require.NoError(t, json.Unmarshal([]byte(s.ok(append(append([]string{"job", "backfill", "flaky"}, window...), "--only", "all", "--dry-run", "-o", "json")...)), &dry))
	var failed, paused, succeeded int
	for _, p := range dry.Selection.Run {
		require.True(t, strings.HasSuffix(p.ExecutionID, "_bf1"), p.ExecutionID)
		require.Equal(t, job.BackfillExecutionID("flaky", p.Slot, 1), p.ExecutionID)
		switch p.Why {
		case "failed":
			failed++
		case "paused", "missed", "unaccounted", "skipped":
			paused++ // did not run
		}
	}
	for _, sk := range dry.Selection.Skip {
		if sk.Reason == "already succeeded" {
			succeeded++
		}
	}
	// On a loaded machine a slot may fall on either side of a change: at
	// least one of each kind is in the window.
	require.GreaterOrEqual(t, failed, 1, "%+v", dry.Selection)
	require.GreaterOrEqual(t, paused, 1, "%+v", dry.Selection)
	require.GreaterOrEqual(t, succeeded, 1, "%+v", dry.Selection)
	require.Equal(t, len(dry.Selection.Run), failed+paused, "only failed slots and slots that did not run: %+v", dry.Selection)
	require.Empty(t, s.backfills("flaky"), "a dry run stores nothing")
	require.Len(t, s.executions("flaky"), len(before), "a dry run runs nothing")

	// --only missed leaves the failed ones out, and says so.
	var missedOnly api.BackfillResponse
	require.NoError(t, json.Unmarshal([]byte(s.ok(append(append([]string{"job", "backfill", "flaky"}, window...), "--dry-run", "-o", "json")...)), &missedOnly))
	require.Len(t, missedOnly.Selection.Run, len(dry.Selection.Run)-failed)

	// The backfill itself.
	out = s.ok(append(append([]string{"job", "backfill", "flaky"}, window...), "--only", "all", "--max-parallel", "2")...)
	t.Logf("job backfill:\n%s", out)
	natstest.Eventually(t, 60*time.Second, func() bool {
		bs := s.backfills("flaky")
		return len(bs) == 1 && bs[0].State == backfill.StateDone
	}, "the backfill ends")
	after := s.executions("flaky")
	byID := map[string]job.Execution{}
	for _, x := range after {
		byID[x.ID] = x
	}
	for _, p := range dry.Selection.Run {
		x, found := byID[p.ExecutionID]
		require.True(t, found, "slot %s ran as %s", p.Slot, p.ExecutionID)
		require.Equal(t, job.StateSucceeded, x.State)
		require.Equal(t, job.TriggerBackfill, x.Trigger)
		require.True(t, x.ScheduledAt.Equal(p.Slot), "the run is the slot's: JETCRON_SCHEDULED_AT is the slot")
	}
	require.Len(t, after, len(before)+len(dry.Selection.Run), "each slot ran once, nothing else")

	// Again: nothing left to run; the ledger knows what the backfill ran.
	out = s.ok(append(append([]string{"job", "backfill", "flaky"}, window...), "--only", "all")...)
	require.Contains(t, out, "nothing to run")
	require.Contains(t, out, "already succeeded (backfill flaky-")
	require.Len(t, s.executions("flaky"), len(after))
}

// TestBackfillCancel: a backfill in progress refuses an overlapping one and
// is cancelled as a whole: its run in flight is cancelled and no further
// slot starts.
func TestBackfillCancel(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	from := time.Now().UTC().Truncate(time.Second)
	s.ok("job", "create", "slow", "--every", "1s", "--", "sleep", "30")
	s.ok("job", "disable", "slow", "--reason", "outage")
	time.Sleep(3500 * time.Millisecond) // paused slots
	to := time.Now().UTC().Truncate(time.Second)
	window := []string{"--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339)}
	s.ok("job", "create", "slow", "--update", "--every", "1h", "--", "sleep", "30")
	for _, x := range s.executions("slow") {
		if !x.State.Final() {
			_, _ = s.client.Cancel(t.Context(), x.ID, "not this one")
		}
	}
	natstest.Eventually(t, 20*time.Second, func() bool {
		return countBy(s.executions("slow"), func(x job.Execution) bool { return !x.State.Final() }) == 0
	}, "the window's own runs end")

	out := s.ok(append(append([]string{"job", "backfill", "slow"}, window...), "--max-parallel", "5")...)
	t.Logf("job backfill:\n%s", out)
	require.Contains(t, out, "started")
	bf := s.waitBackfillRunning(t, "slow")

	// One at a time (overlap delay), so one runs.
	x := s.waitFor("slow", 20*time.Second, job.StateRunning)
	require.Equal(t, job.TriggerBackfill, x.Trigger)
	require.Contains(t, x.ID, "_bf1")

	r := s.cli(append([]string{"job", "backfill", "slow"}, window...)...)
	require.Equal(t, 2, r.code, r.err)
	require.Contains(t, r.err, "--from")
	require.Contains(t, r.err, bf.ID)

	out = s.ok("job", "backfill", "slow", "--cancel", "--reason", "enough")
	t.Logf("job backfill --cancel:\n%s", out)
	require.Contains(t, out, "backfill "+bf.ID+" cancelled")
	s.waitState(x.ID, 20*time.Second, job.StateCancelled)
	bs := s.backfills("slow")
	require.Len(t, bs, 1)
	require.Equal(t, backfill.StateCancelled, bs[0].State)
	require.Equal(t, "enough", bs[0].Reason)
	started := countBy(s.executions("slow"), func(x job.Execution) bool { return x.Trigger == job.TriggerBackfill })
	time.Sleep(3 * time.Second) // the leader would start the next slot within a second
	require.Equal(t, started, countBy(s.executions("slow"), func(x job.Execution) bool { return x.Trigger == job.TriggerBackfill }), "no slot starts after the cancel")
	r = s.cli("job", "backfill", "slow", "--cancel")
	require.Equal(t, 3, r.code, "no running backfill: %s", r.err)
}

// waitBackfillRunning waits until the job has a running backfill with a
// slot started.
func (s *system) waitBackfillRunning(t *testing.T, name string) backfill.Backfill {
	t.Helper()
	var out backfill.Backfill
	natstest.Eventually(t, 20*time.Second, func() bool {
		for _, b := range s.backfills(name) {
			if b.State == backfill.StateRunning && b.Counts()[backfill.SlotStarted] > 0 {
				out = b
				return true
			}
		}
		return false
	}, "job %s has a running backfill", name)
	return out
}

// TestBackfillSurvivesRestart: the scheduler stops while a backfill is half
// done; the next leader carries it on, and every slot runs exactly once.
func TestBackfillSurvivesRestart(t *testing.T) {
	t.Parallel()
	s := start(t, options{concurrency: 4})
	from := time.Now().UTC().Truncate(time.Second)
	s.ok("job", "create", "steady", "--every", "1s", "--overlap", "allow", "--", "sleep", "1")
	s.ok("job", "disable", "steady", "--reason", "outage")
	time.Sleep(4500 * time.Millisecond) // paused slots
	to := time.Now().UTC().Truncate(time.Second)
	s.ok("job", "create", "steady", "--update", "--every", "1h", "--overlap", "allow", "--", "sleep", "1")
	natstest.Eventually(t, 20*time.Second, func() bool {
		return countBy(s.executions("steady"), func(x job.Execution) bool { return !x.State.Final() }) == 0
	}, "the window's own runs end")
	before := len(s.executions("steady"))

	var resp api.BackfillResponse
	require.NoError(t, json.Unmarshal([]byte(s.ok("job", "backfill", "steady", "--from", from.Format(time.RFC3339), "--to", to.Format(time.RFC3339),
		"--max-parallel", "2", "-o", "json")), &resp))
	require.GreaterOrEqual(t, len(resp.Selection.Run), 4)
	require.Equal(t, 2, resp.Parallel)
	s.waitBackfillRunning(t, "steady")

	// The leader stops mid-way; another scheduler takes over.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	require.NoError(t, s.sched.Stop(ctx))
	cancel()
	sc, err := scheduler.New(natstest.Connect(t, s.srv), scheduler.Config{Topology: s.topo, FlushInterval: 200 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, sc.Start(t.Context()))
	t.Cleanup(func() { _ = sc.Stop(context.Background()) })
	natstest.Eventually(t, 30*time.Second, sc.Leading, "the new scheduler leads")

	natstest.Eventually(t, 60*time.Second, func() bool {
		bs := s.backfills("steady")
		return len(bs) == 1 && bs[0].State == backfill.StateDone
	}, "the backfill ends under the new leader")
	xs := s.executions("steady")
	require.Len(t, xs, before+len(resp.Selection.Run), "each slot ran once")
	for _, p := range resp.Selection.Run {
		x, err := s.client.Execution(t.Context(), p.ExecutionID)
		require.NoError(t, err)
		require.Equal(t, job.StateSucceeded, x.State, p.ExecutionID)
		require.Len(t, x.Attempts, 1, "%s ran once", p.ExecutionID)
	}
}
