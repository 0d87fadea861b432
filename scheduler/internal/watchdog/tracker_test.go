package watchdog

import (
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/health"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
	"github.com/jetcron/jetcron/scheduler/internal/jobdef"
)

var t0 = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

// every1s is a job that fires every second from t0, expected to start
// within 2s.
func every1s(x job.Expect) *tracker {
	spec := &job.Spec{Name: "tick", Schedule: job.Schedule{Every: job.Duration(time.Second)}, CreatedAt: t0, EnabledAt: t0, Expect: x}
	t := newTracker("tick")
	t.define(jobdef.Own(*spec, 1, t0))
	return t
}

func ev(kind event.Kind, slot time.Time, at time.Time, seq uint64) event.Event {
	e := event.Event{Kind: kind, Job: "tick", Execution: job.ExecutionID("tick", slot), Time: at, Seq: seq, Attempt: 1}
	if kind == event.Scheduled {
		e.ScheduledAt = event.Slot(slot)
	}
	return e
}

func adhoc(kind event.Kind, id string, at time.Time, seq uint64, dur time.Duration) event.Event {
	ms := dur.Milliseconds()
	return event.Event{Kind: kind, Job: "tick", Execution: id, Time: at, Seq: seq, Attempt: 1, DurationMS: &ms}
}

func TestSlotsOnTimeLateAndUnaccounted(t *testing.T) {
	t.Parallel()
	x := job.Expect{StartWithin: job.Duration(2 * time.Second)}
	w := window{since: t0, now: t0.Add(10 * time.Second)}

	// Every slot fired and started at once: ok.
	tr := every1s(x)
	seq := uint64(0)
	for i := range 11 {
		s := t0.Add(time.Duration(i) * time.Second)
		seq++
		tr.apply(ev(event.Scheduled, s, s, seq))
		seq++
		tr.apply(ev(event.Started, s, s.Add(10*time.Millisecond), seq))
		seq++
		tr.apply(ev(event.Succeeded, s, s.Add(20*time.Millisecond), seq))
	}
	require.Equal(t, alert.OK, tr.evaluate(w).health)

	// Slots published and never started: late, naming the oldest.
	tr = every1s(x)
	for i := range 11 {
		s := t0.Add(time.Duration(i) * time.Second)
		tr.apply(ev(event.Scheduled, s, s, uint64(i+1)))
	}
	v := tr.evaluate(w)
	require.Equal(t, alert.Late, v.health)
	require.Equal(t, t0, v.slot)

	// No event at all: unaccounted, from the first slot past the grace;
	// younger slots are only due.
	tr = every1s(x)
	v = tr.evaluate(w)
	require.Equal(t, alert.Unaccounted, v.health)
	require.Equal(t, t0, v.slot)
	require.Contains(t, v.reason, "neither fired nor recorded within 2s")
	require.Equal(t, alert.OK, every1s(x).evaluate(window{since: t0, now: t0.Add(time.Second)}).health, "within the grace: due")

	// The episode lasts until that slot is accounted for ...
	tr.apply(ev(event.Missed, t0, t0.Add(11*time.Second), 1))
	w2 := window{since: t0, now: t0.Add(11 * time.Second)}
	require.Equal(t, alert.Unaccounted, tr.evaluate(w2).health, "later slots are still unaccounted")
	// ... or, once it left the window, until a later slot is recorded.
	w3 := window{since: t0.Add(30 * time.Second), now: t0.Add(40 * time.Second)}
	require.Equal(t, alert.Unaccounted, tr.evaluate(w3).health, "a silent window keeps the episode")
	for i := 30; i <= 40; i++ {
		s := t0.Add(time.Duration(i) * time.Second)
		tr.apply(ev(event.Scheduled, s, s, uint64(100+2*i)))
		tr.apply(ev(event.Started, s, s, uint64(101+2*i)))
	}
	require.Equal(t, alert.OK, tr.evaluate(w3).health)
}

func TestDisabledJobIsPausedAndCompletedOwesNothing(t *testing.T) {
	t.Parallel()
	tr := every1s(job.Expect{})
	spec := tr.def.Spec()
	spec.Disabled, spec.DisabledReason = true, "maintenance"
	tr.define(jobdef.Own(spec, 2, t0.Add(time.Second)))
	v := tr.evaluate(window{since: t0, now: t0.Add(5 * time.Minute)})
	require.Equal(t, alert.Paused, v.health)
	require.Equal(t, uint64(2), v.revision)
	require.Equal(t, "the job is disabled: maintenance", v.reason)

	tr = every1s(job.Expect{})
	tr.apply(event.Event{Kind: event.JobCompleted, Job: "tick", Time: t0, Seq: 1})
	require.Equal(t, alert.OK, tr.evaluate(window{since: t0, now: t0.Add(5 * time.Minute)}).health)
}

func TestFailingOverrunningTooShort(t *testing.T) {
	t.Parallel()
	x := job.Expect{AlertAfterFailures: 2, MaxRuntime: job.Duration(time.Minute), MinRuntime: job.Duration(time.Second)}
	w := func(now time.Time) window { return window{since: now, now: now} } // no slot checked
	tr := every1s(x)
	tr.apply(adhoc(event.Failed, "tick-20261204T120000Z_a", t0, 1, time.Second))
	require.Equal(t, alert.OK, tr.evaluate(w(t0)).health, "one failure of two")
	tr.apply(adhoc(event.TimedOut, "tick-20261204T120000Z_b", t0, 2, time.Second))
	v := tr.evaluate(w(t0))
	require.Equal(t, alert.Failing, v.health)
	require.Equal(t, "tick-20261204T120000Z_b", v.execution)
	tr.apply(adhoc(event.Cancelled, "tick-20261204T120000Z_c", t0, 3, time.Second))
	require.Equal(t, alert.Failing, tr.evaluate(w(t0)).health, "a cancel is neither a failure nor a success")

	tr.apply(adhoc(event.Started, "tick-20261204T120000Z_d", t0, 4, 0))
	require.Equal(t, alert.Failing, tr.evaluate(w(t0.Add(2*time.Minute))).health, "failing outranks overrunning")
	tr.apply(adhoc(event.Succeeded, "tick-20261204T120000Z_e", t0, 5, 5*time.Second))
	v = tr.evaluate(w(t0.Add(2 * time.Minute)))
	require.Equal(t, alert.Overrunning, v.health)
	require.Equal(t, "tick-20261204T120000Z_d", v.execution)
	require.Equal(t, alert.OK, tr.evaluate(w(t0.Add(30*time.Second))).health, "not yet past max runtime")
	tr.apply(adhoc(event.Succeeded, "tick-20261204T120000Z_d", t0.Add(2*time.Minute), 6, 2*time.Minute))
	require.Equal(t, alert.OK, tr.evaluate(w(t0.Add(2*time.Minute))).health)

	tr.apply(adhoc(event.Succeeded, "tick-20261204T120000Z_f", t0, 7, 10*time.Millisecond))
	v = tr.evaluate(w(t0))
	require.Equal(t, alert.TooShort, v.health)
	require.Equal(t, "tick-20261204T120000Z_f", v.execution)
	require.Equal(t, 0, tr.act.failures)
	require.Equal(t, "tick-20261204T120000Z_f", tr.recovery(alert.TooShort).execution)
}

func TestAdoptedStateCountsReplayedEventsOnce(t *testing.T) {
	t.Parallel()
	tr := every1s(job.Expect{AlertAfterFailures: 3})
	tr.adopt(health.State{Job: "tick", Health: alert.OK, ConsecutiveFailures: 2, Seq: 20}, 7, time.Time{})
	// Replayed from the look-back: already in the stored count.
	tr.apply(adhoc(event.Failed, "tick-20261204T120000Z_a", t0, 19, time.Second))
	tr.apply(adhoc(event.Failed, "tick-20261204T120000Z_b", t0, 20, time.Second))
	require.Equal(t, 2, tr.act.failures)
	tr.apply(adhoc(event.Failed, "tick-20261204T120000Z_c", t0, 21, time.Second))
	require.Equal(t, 3, tr.act.failures)
	require.Equal(t, alert.Failing, tr.evaluate(window{since: t0, now: t0}).health)
	require.Equal(t, uint64(21), tr.act.seq)
}

func TestTrimKeepsTheWindow(t *testing.T) {
	t.Parallel()
	tr := every1s(job.Expect{})
	for i := range 100 {
		s := t0.Add(time.Duration(i) * time.Second)
		tr.apply(ev(event.Scheduled, s, s, uint64(i+1)))
	}
	tr.define(jobdef.Own(tr.def.Spec(), 2, t0.Add(10*time.Second)))
	tr.define(jobdef.Own(tr.def.Spec(), 3, t0.Add(20*time.Second)))
	var one [1]ledger.Revision
	require.Len(t, tr.revisions(&one), 3)
	tr.trim(t0.Add(90*time.Second), t0.Add(100*time.Second))
	require.Len(t, tr.act.kept, 10)
	require.Empty(t, tr.older, "only the revision in force at the cutoff and later ones")
	require.Equal(t, uint64(3), tr.rev())
	// A late event of a slot before the cutoff is counted, not kept.
	tr.apply(ev(event.Started, t0.Add(5*time.Second), t0.Add(100*time.Second), 200))
	tr.apply(adhoc(event.Failed, job.ExecutionID("tick", t0.Add(5*time.Second)), t0.Add(101*time.Second), 201, time.Second))
	require.Len(t, tr.act.kept, 10)
	require.Equal(t, 1, tr.act.failures)
}

// TestAJobThatDidNothingHoldsNoActivity: a replica tracks every job; one
// with no event, no stored state and nothing found keeps no activity, and
// reading one never writes the shared empty one.
func TestAJobThatDidNothingHoldsNoActivity(t *testing.T) {
	t.Parallel()
	tr := every1s(job.Expect{StartWithin: job.Duration(time.Minute), MaxRuntime: job.Duration(time.Second), MinRuntime: job.Duration(time.Second)})
	require.Equal(t, alert.OK, tr.evaluate(window{since: t0, now: t0.Add(30 * time.Second)}).health, "every slot within its grace")
	require.Nil(t, tr.act)
	require.Equal(t, "the job's expectations changed", tr.recovery(alert.Late).reason)
	tr.trim(t0, t0.Add(time.Hour))
	require.Nil(t, tr.act)

	v := tr.evaluate(window{since: t0, now: t0.Add(5 * time.Minute), keepFrom: t0.Add(-time.Minute)})
	require.Equal(t, alert.Unaccounted, v.health)
	require.NotNil(t, tr.act, "an unaccounted episode is remembered")
	require.Equal(t, t0, tr.act.unaccounted)
	require.Equal(t, t0.Add(-time.Minute), tr.act.keepFrom)
	require.True(t, reflect.DeepEqual(noActivity, activity{}), "the shared empty activity was written")
}

// TestQuietJobSparesItsLedger: a job that did nothing is checked without
// its ledger until its first slot may be past the grace, and still found
// unaccounted once one is. (Not parallel: it counts allocations.)
func TestQuietJobSparesItsLedger(t *testing.T) {
	tr := every1s(job.Expect{StartWithin: job.Duration(2 * time.Second)})
	require.Equal(t, alert.OK, tr.evaluate(window{since: t0, now: t0.Add(500 * time.Millisecond)}).health)
	require.Equal(t, t0.Add(2*time.Second).UnixNano(), tr.quietUntil, "slot t0 may be unaccounted past its grace")
	require.Equal(t, alert.OK, tr.evaluate(window{since: t0, now: t0.Add(1500 * time.Millisecond)}).health)
	v := tr.evaluate(window{since: t0, now: t0.Add(5 * time.Second)})
	require.Equal(t, alert.Unaccounted, v.health)
	require.Equal(t, t0, v.slot)

	hourly := &job.Spec{Name: "tick", Schedule: job.Schedule{Every: job.Duration(time.Hour)}, CreatedAt: t0, EnabledAt: t0}
	tr = newTracker("tick")
	tr.define(jobdef.Own(*hourly, 1, t0))
	now := t0.Add(90 * time.Minute)
	w := window{since: now.Add(-DefaultWindow), now: now}
	require.Equal(t, alert.OK, tr.evaluate(w).health)
	require.Zero(t, testing.AllocsPerRun(100, func() { tr.evaluate(w) }), "a quiet job's check allocates nothing")
	tr.define(jobdef.Own(*hourly, 2, t0.Add(time.Minute)))
	require.Zero(t, tr.quietUntil, "a new definition is checked anew")
}

// TestEndedJobSparesItsLedger: a job whose slots in the window all ended
// is spared its ledger as a quiet job is, until a new event or a silent
// slot past its grace; a slot fired and waiting to start is never spared,
// it may become late with time alone. (Not parallel: it counts
// allocations.)
func TestEndedJobSparesItsLedger(t *testing.T) {
	tr := every1s(job.Expect{StartWithin: job.Duration(2 * time.Second)})
	tr.apply(ev(event.Scheduled, t0, t0, 1))
	tr.apply(ev(event.Started, t0, t0, 2))
	tr.apply(ev(event.Succeeded, t0, t0.Add(100*time.Millisecond), 3))
	w := window{since: t0, now: t0.Add(500 * time.Millisecond)}
	require.Equal(t, alert.OK, tr.evaluate(w).health)
	require.Equal(t, t0.Add(2500*time.Millisecond).UnixNano(), tr.quietUntil, "the next slot (t0+1s) may be unaccounted past its grace, not before now + grace")
	require.Zero(t, testing.AllocsPerRun(100, func() { tr.evaluate(w) }), "an ended job's check allocates nothing")
	v := tr.evaluate(window{since: t0, now: t0.Add(3500 * time.Millisecond)})
	require.Equal(t, alert.Unaccounted, v.health, "a silent slot past its grace is found")
	require.Equal(t, t0.Add(time.Second), v.slot)

	// A fired slot waiting to start becomes late with time alone.
	tr = every1s(job.Expect{StartWithin: job.Duration(2 * time.Second)})
	tr.apply(ev(event.Scheduled, t0, t0, 1))
	require.Equal(t, alert.OK, tr.evaluate(window{since: t0, now: t0.Add(500 * time.Millisecond)}).health)
	require.Zero(t, tr.quietUntil, "not spared while a slot waits to start")
	require.Equal(t, alert.Late, tr.evaluate(window{since: t0, now: t0.Add(2100 * time.Millisecond)}).health)

	// An event ends the wait.
	tr = every1s(job.Expect{StartWithin: job.Duration(2 * time.Second)})
	tr.apply(ev(event.Skipped, t0, t0, 1))
	require.Equal(t, alert.OK, tr.evaluate(window{since: t0, now: t0.Add(500 * time.Millisecond)}).health)
	require.NotZero(t, tr.quietUntil)
	tr.apply(ev(event.Scheduled, t0.Add(time.Second), t0.Add(time.Second), 2))
	require.Zero(t, tr.quietUntil, "a new event: the ledger is computed again")
}

// TestTrackerSize: every replica keeps a tracker per job, a million at
// scale; one that did nothing holds nothing else.
func TestTrackerSize(t *testing.T) {
	t.Parallel()
	require.LessOrEqual(t, unsafe.Sizeof(tracker{}), uintptr(96))
	// What every job that has run holds besides (4 cache lines: 430
	// bytes, a 448-byte allocation, with a whole health.State in it).
	require.LessOrEqual(t, unsafe.Sizeof(activity{}), uintptr(320))
}

// TestHeldStateIsTheStoredState: what an activity holds of a stored state
// gives back every field a round reads and carries into its next write.
func TestHeldStateIsTheStoredState(t *testing.T) {
	t.Parallel()
	for _, s := range []health.State{
		{Job: "tick", Health: alert.OK, Since: t0},
		{Job: "tick", Health: alert.Health(string([]byte("failing"))), Since: t0, Reason: "3 consecutive failed executions", Execution: "tick-20261204T120000Z",
			ConsecutiveFailures: 3, LastSuccess: t0.Add(-time.Hour), Seq: 42},
		{Job: "tick", Health: alert.Unaccounted, Since: t0.Add(time.Second), Slot: t0, Reason: "slot …", Seq: 7},
	} {
		s.V, s.Detector, s.Updated = health.Version, "a", t0.Add(time.Minute)
		h := holdState(s)
		got := h.state("tick")
		got.V, got.Detector, got.Updated = s.V, s.Detector, s.Updated // set anew on every write
		require.True(t, reflect.DeepEqual(s, got) || (got.Since.Equal(s.Since) && got.Slot.Equal(s.Slot) && got.LastSuccess.Equal(s.LastSuccess) &&
			got.Health == s.Health && got.Reason == s.Reason && got.Execution == s.Execution && got.ConsecutiveFailures == s.ConsecutiveFailures && got.Seq == s.Seq), "%+v", got)
		require.Equal(t, s.Slot.IsZero(), got.Slot.IsZero())
		require.Equal(t, s.LastSuccess.IsZero(), got.LastSuccess.IsZero())
	}
	h := holdState(health.State{Health: alert.Health(string([]byte("failing")))})
	require.Equal(t, unsafe.StringData(string(alert.Failing)), unsafe.StringData(string(h.health)), "the health shares the constant's bytes")
}

// TestPrunedSlotsAreNotUnaccounted: a replica that reads the look-back
// again after a restart finds the events of the slots the job's retention
// deleted gone; the job_pruned event that covers them makes them pruned,
// not unaccounted (chaos run 23's dev log raised one so).
func TestPrunedSlotsAreNotUnaccounted(t *testing.T) {
	t.Parallel()
	tr := every1s(job.Expect{StartWithin: job.Duration(2 * time.Second)})
	last := t0.Add(7 * time.Second)
	tr.apply(event.Event{Kind: event.JobPruned, Job: "tick", Time: t0.Add(9 * time.Second), Seq: 1, ScheduledAt: event.Slot(t0), Last: &last, Count: 8})
	require.Equal(t, alert.OK, tr.evaluate(window{since: t0, now: t0.Add(9 * time.Second)}).health, "slots to +7s pruned, +8s and +9s within the grace")
	v := tr.evaluate(window{since: t0, now: t0.Add(11 * time.Second)})
	require.Equal(t, alert.Unaccounted, v.health, "a slot after the pruned ones is still checked")
	require.Equal(t, t0.Add(8*time.Second), v.slot)
}
