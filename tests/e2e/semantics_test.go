package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/scheduler"
)

// TestCompletions: a job stops after N fires and stays, marked completed.
func TestCompletions(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "thrice", "--every", "1s", "--completions", "3", "--overlap", "allow", "--", "true")
	natstest.Eventually(t, 20*time.Second, func() bool {
		return strings.Contains(s.ok("job", "get", "thrice"), "completed")
	}, "the job completes")
	require.Contains(t, s.ok("job", "get", "thrice"), "3 of 3")
	require.Len(t, s.executions("thrice"), 3)
}

// TestFollowUps: a run writes follow-up requests to JETCRON_OUTPUT; they
// run with their params, linked to the parent; bad lines are noted on it.
func TestFollowUps(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	script := filepath.Join(t.TempDir(), "poll.sh")
	require.NoError(t, os.WriteFile(script, []byte(`
page=$(echo "$JETCRON_PARAMS" | sed -n 's/.*"page":"\([0-9]*\)".*/\1/p')
echo "fetching page ${page:-1}"
if [ "${page:-1}" -lt 3 ]; then
  echo "{\"params\":{\"page\":\"$(( ${page:-1} + 1 ))\"}}" >> "$JETCRON_OUTPUT"
fi
if [ "${page:-1}" = 1 ]; then
  echo 'not json' >> "$JETCRON_OUTPUT"
  echo '{"job":"ghost"}' >> "$JETCRON_OUTPUT"
fi
`), 0o600))
	s.ok("job", "create", "poller", "--every", "1h", "--script", script, "--interpreter", "sh")
	first := strings.TrimSpace(s.ok("job", "run", "poller", "--param", "page=1"))
	x1 := s.waitState(first, 20*time.Second, job.StateSucceeded)
	natstest.Eventually(t, 20*time.Second, func() bool {
		x1, _ = s.client.Execution(context.Background(), first)
		return len(x1.FollowUps) == 1
	})
	notes := strings.Join(x1.Notes, "\n")
	require.Contains(t, notes, "line 2")
	require.Contains(t, notes, "ghost")
	x2 := s.waitState(x1.FollowUps[0], 20*time.Second, job.StateSucceeded)
	require.Equal(t, first, x2.ParentID)
	require.Equal(t, job.TriggerFollowUp, x2.Trigger)
	require.Equal(t, "fetching page 2\n", s.ok("exec", "logs", x2.ID))
	natstest.Eventually(t, 20*time.Second, func() bool {
		x2, _ = s.client.Execution(context.Background(), x2.ID)
		return len(x2.FollowUps) == 1
	})
	x3 := s.waitState(x2.FollowUps[0], 20*time.Second, job.StateSucceeded)
	require.Equal(t, "fetching page 3\n", s.ok("exec", "logs", x3.ID))
}

// TestEnqueueAt: an ad hoc run with params waits for its time.
func TestEnqueueAt(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "later", "--every", "1h", "--", "sh", "-c", "echo $JETCRON_PARAMS")
	out := s.ok("job", "enqueue", "later", "--in", "2s", "--param", "k=v")
	id := strings.Fields(out)[0]
	x := s.waitState(id, 20*time.Second, job.StateSucceeded)
	require.Equal(t, job.TriggerEnqueue, x.Trigger)
	require.False(t, x.StartedAt.Before(x.ScheduledAt), "not before its time")
	require.Equal(t, "{\"k\":\"v\"}\n", s.ok("exec", "logs", id))
}

// TestCatchUpAfterSchedulerOutage: slots missed while no scheduler ran
// fire within the catch-up window; older ones are recorded as missed.
func TestCatchUpAfterSchedulerOutage(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "steady", "--every", "1s", "--overlap", "allow", "--catchup", "2s", "--", "true")
	natstest.Eventually(t, 15*time.Second, func() bool { return len(s.executions("steady")) >= 2 })
	require.NoError(t, s.sched.Stop(t.Context()))
	down := time.Now()
	time.Sleep(5 * time.Second) // the outage itself
	s2, err := scheduler.New(natstest.Connect(t, s.srv), scheduler.Config{Topology: s.topo})
	require.NoError(t, err)
	require.NoError(t, s2.Start(t.Context()))
	t.Cleanup(func() { _ = s2.Stop(context.Background()) })
	up := time.Now()
	natstest.Eventually(t, 15*time.Second, func() bool {
		for _, x := range s.executions("steady") {
			if x.ScheduledAt.After(up) {
				return true
			}
		}
		return false
	}, "firing resumes")
	missed, caught := 0, 0
	slots := map[time.Time]int{}
	for _, x := range s.executions("steady") {
		slots[x.ScheduledAt]++
		if x.ScheduledAt.After(down) && x.ScheduledAt.Before(up.Add(-time.Second)) {
			switch {
			case x.State == job.StateMissed:
				missed++
			case x.Trigger == job.TriggerCatchUp:
				caught++
			}
		}
	}
	for slot, n := range slots {
		require.Equal(t, 1, n, "slot %s recorded once", slot)
	}
	require.GreaterOrEqual(t, missed, 2, "slots older than the window are missed")
	require.GreaterOrEqual(t, caught, 1, "slots within the window fire late")
}

// TestEnableResumesFromNow: slots missed while disabled are not replayed,
// unless --catchup-on-enable.
func TestEnableResumesFromNow(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "paused", "--every", "1s", "--overlap", "allow", "--catchup", "1m", "--", "true")
	natstest.Eventually(t, 15*time.Second, func() bool { return len(s.executions("paused")) >= 1 })
	s.ok("job", "disable", "paused")
	off := time.Now()
	time.Sleep(3 * time.Second) // disabled span
	s.ok("job", "enable", "paused")
	on := time.Now()
	natstest.Eventually(t, 15*time.Second, func() bool {
		for _, x := range s.executions("paused") {
			if x.ScheduledAt.After(on) {
				return true
			}
		}
		return false
	})
	for _, x := range s.executions("paused") {
		inPause := x.ScheduledAt.After(off.Add(time.Second)) && x.ScheduledAt.Before(on.Add(-time.Second))
		require.False(t, inPause, "slot %s of the pause was replayed", x.ScheduledAt)
	}

	s.ok("job", "disable", "paused")
	off = time.Now()
	time.Sleep(3 * time.Second) // disabled span
	s.ok("job", "enable", "paused", "--catchup-on-enable")
	natstest.Eventually(t, 15*time.Second, func() bool {
		for _, x := range s.executions("paused") {
			if x.ScheduledAt.After(off.Add(time.Second)) && x.ScheduledAt.Before(off.Add(2*time.Second)) && x.Trigger == job.TriggerCatchUp {
				return true
			}
		}
		return false
	}, "with --catchup-on-enable the pause's slots fire within the window")
}

// TestCompletionsCountDelayedSlots: with overlap delay, a slot that waits
// for the running one counts when it runs, and the job stops at N runs.
func TestCompletionsCountDelayedSlots(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "slow3", "--every", "1s", "--completions", "3", "--", "sleep", "1.5")
	natstest.Eventually(t, 30*time.Second, func() bool {
		return strings.Contains(s.ok("job", "get", "slow3"), "completed")
	}, "the job completes")
	ran := 0
	for _, x := range s.executions("slow3") {
		if x.StartedAt != nil {
			ran++
		}
	}
	require.Equal(t, 3, ran, "exactly three runs")
	require.Contains(t, s.ok("job", "get", "slow3"), "3 of 3")
}
