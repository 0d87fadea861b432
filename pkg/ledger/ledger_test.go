package ledger_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// c0 is when the job is created: its first slot is 00:01.
var c0 = t0.Add(30 * time.Second)

// at returns t0 + minutes:seconds.
func at(m, s int) time.Time {
	return t0.Add(time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
}

// every returns a definition of job "j" firing every d, owing slots from
// enabled.
func every(d time.Duration, enabled time.Time) *job.Spec {
	return &job.Spec{Name: "j", Schedule: job.Schedule{Every: job.Duration(d)}, CreatedAt: c0, EnabledAt: enabled}
}

func disabled(s *job.Spec) *job.Spec {
	c := *s
	c.Disabled, c.DisabledReason = true, "maintenance"
	return &c
}

// Event builders for the slot at t0 + m minutes.
func id(m int) string { return job.ExecutionID("j", at(m, 0)) }

func sched(m int, when time.Time, trig job.Trigger, rev uint64) event.Event {
	return event.Event{Kind: event.Scheduled, Job: "j", Execution: id(m), Time: when, ScheduledAt: event.Slot(at(m, 0)), Trigger: trig, Revision: rev}
}

func started(m int, when time.Time, attempt int) event.Event {
	return event.Event{Kind: event.Started, Job: "j", Execution: id(m), Time: when, Attempt: attempt}
}

func ended(m int, k event.Kind, when time.Time, reason string) event.Event {
	return event.Event{Kind: k, Job: "j", Execution: id(m), Time: when, Attempt: 1, Reason: reason, Error: reason}
}

// ran is a slot published, started and finished with kind.
func ran(m int, startSec int, k event.Kind) []event.Event {
	return []event.Event{
		sched(m, at(m, 0), job.TriggerSchedule, 0),
		started(m, at(m, startSec), 1),
		ended(m, k, at(m, startSec+5), ""),
	}
}

func missedRange(first, last, count int, why string) event.Event {
	return event.Event{Kind: event.Missed, Job: "j", Execution: id(first), Time: at(last, 30), ScheduledAt: event.Slot(at(first, 0)),
		Last: event.Slot(at(last, 0)), Count: count, Reason: why}
}

func concat(groups ...[]event.Event) []event.Event {
	var out []event.Event
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// render writes a row as "HH:MM:SS fired result rN [late Ns]".
func render(r ledger.Row) string {
	s := fmt.Sprintf("%s %s %s r%d", r.Slot.Format("15:04:05"), r.Fired, orDash(string(r.Result)), r.Revision)
	if d, ok := r.Lateness(); ok && d >= time.Second {
		s += fmt.Sprintf(" +%s", d)
	}
	if r.Unexpected {
		s += " unexpected"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func TestAccount(t *testing.T) {
	t.Parallel()

	oneMin := []ledger.Revision{{Revision: 1, At: c0, Def: ledger.Spec(every(time.Minute, c0))}}
	for _, tc := range []struct {
		name    string
		revs    []ledger.Revision
		events  []event.Event
		q       ledger.Query
		want    []string
		reasons map[int]string // row index → reason substring
	}{
		{
			name:   "OnTimeLateAndFailed",
			revs:   oneMin,
			events: concat(ran(1, 2, event.Succeeded), ran(2, 90, event.Succeeded), ran(3, 1, event.Failed)),
			q:      ledger.Query{Now: at(3, 30)},
			want: []string{
				"00:01:00 on_time succeeded r1 +2s",
				"00:02:00 late succeeded r1 +1m30s",
				"00:03:00 on_time failed r1 +1s",
			},
		},
		{
			name: "OutageRangeMissedThenCaughtUp",
			revs: oneMin,
			events: concat(
				ran(1, 1, event.Succeeded), ran(2, 1, event.Succeeded),
				[]event.Event{
					ended(3, event.Missed, at(10, 30), "older than the catch-up window when a leader could fire it"),
					missedRange(4, 8, 5, "5 more slots up to 00:08: older than the catch-up window when a leader could fire it"),
					sched(9, at(10, 30), job.TriggerCatchUp, 0), started(9, at(10, 31), 1), ended(9, event.Succeeded, at(10, 35), ""),
					sched(10, at(10, 30), job.TriggerCatchUp, 0), started(10, at(10, 36), 1), ended(10, event.Succeeded, at(10, 40), ""),
					sched(11, at(11, 0), job.TriggerSchedule, 0), started(11, at(11, 1), 1),
				}),
			q: ledger.Query{Now: at(12, 0)},
			want: []string{
				"00:01:00 on_time succeeded r1 +1s",
				"00:02:00 on_time succeeded r1 +1s",
				"00:03:00 missed - r1",
				"00:04:00 missed - r1",
				"00:05:00 missed - r1",
				"00:06:00 missed - r1",
				"00:07:00 missed - r1",
				"00:08:00 missed - r1",
				"00:09:00 caught_up succeeded r1 +1m31s",
				"00:10:00 caught_up succeeded r1 +36s",
				"00:11:00 on_time running r1 +1s",
				"00:12:00 due - r1",
			},
			reasons: map[int]string{2: "catch-up window", 6: "5 more slots up to"},
		},
		{
			name: "PauseThenEnable",
			revs: []ledger.Revision{
				{Revision: 1, At: c0, Def: ledger.Spec(every(time.Minute, c0))},
				{Revision: 2, At: at(3, 30), Def: ledger.Spec(disabled(every(time.Minute, c0)))},
				{Revision: 3, At: at(6, 30), Def: ledger.Spec(every(time.Minute, at(6, 30)))},
			},
			events: concat(ran(1, 1, event.Succeeded), ran(2, 1, event.Succeeded), ran(3, 1, event.Succeeded),
				[]event.Event{sched(7, at(7, 0), job.TriggerSchedule, 3), started(7, at(7, 1), 1), ended(7, event.Succeeded, at(7, 2), "")}),
			q: ledger.Query{Now: at(7, 30)},
			want: []string{
				"00:01:00 on_time succeeded r1 +1s",
				"00:02:00 on_time succeeded r1 +1s",
				"00:03:00 on_time succeeded r1 +1s",
				"00:04:00 paused - r2",
				"00:05:00 paused - r2",
				"00:06:00 paused - r2",
				"00:07:00 on_time succeeded r3 +1s",
			},
			reasons: map[int]string{3: "the job was disabled: maintenance"},
		},
		{
			name: "EnableWithCatchUp",
			revs: []ledger.Revision{
				{Revision: 1, At: c0, Def: ledger.Spec(every(time.Minute, c0))},
				{Revision: 2, At: at(1, 30), Def: ledger.Spec(disabled(every(time.Minute, c0)))},
				{Revision: 3, At: at(8, 30), Def: ledger.Spec(every(time.Minute, c0))}, // EnabledAt kept: catch-up
			},
			events: concat(ran(1, 1, event.Succeeded), []event.Event{
				missedRange(2, 3, 2, "2 more slots up to 00:03: older than the catch-up window when a leader could fire it"),
				sched(4, at(8, 31), job.TriggerCatchUp, 3), started(4, at(8, 32), 1), ended(4, event.Succeeded, at(8, 33), ""),
			}),
			q: ledger.Query{Now: at(8, 40)},
			want: []string{
				"00:01:00 on_time succeeded r1 +1s",
				"00:02:00 missed - r2",
				"00:03:00 missed - r2",
				"00:04:00 caught_up succeeded r3 +4m32s",
				"00:05:00 paused - r2",
				"00:06:00 paused - r2",
				"00:07:00 paused - r2",
				"00:08:00 paused - r2",
			},
		},
		{
			name: "DelayedSkippedAndReplaced",
			revs: oneMin,
			events: []event.Event{
				sched(1, at(1, 0), job.TriggerSchedule, 0), started(1, at(1, 0), 1),
				{Kind: event.Delayed, Job: "j", Execution: id(2), Time: at(2, 0), ScheduledAt: event.Slot(at(2, 0)), Reason: "the previous execution has not ended (overlap delay)"},
				{Kind: event.Skipped, Job: "j", Execution: id(3), Time: at(3, 0), ScheduledAt: event.Slot(at(3, 0)), Reason: "the wait slot was taken"},
				ended(1, event.Succeeded, at(3, 40), ""),
				sched(2, at(3, 40), job.TriggerSchedule, 0), started(2, at(3, 41), 1), ended(2, event.Succeeded, at(3, 50), ""),
				sched(4, at(4, 0), job.TriggerSchedule, 0), started(4, at(4, 0), 1),
				ended(4, event.Cancelled, at(5, 0), event.ReplacedReason(id(5))),
				sched(5, at(5, 0), job.TriggerSchedule, 0), started(5, at(5, 0), 1),
				ended(5, event.Cancelled, at(5, 10), "cancelled by a person"),
			},
			q: ledger.Query{Now: at(5, 30)},
			want: []string{
				"00:01:00 on_time succeeded r1",
				"00:02:00 delayed succeeded r1 +1m41s",
				"00:03:00 skipped - r1",
				"00:04:00 on_time replaced r1",
				"00:05:00 on_time cancelled r1",
			},
			reasons: map[int]string{2: "wait slot", 3: "replaced by j-20260101T000500Z"},
		},
		{
			name: "ScheduleChangedMidWindow",
			revs: []ledger.Revision{
				{Revision: 1, At: c0, Def: ledger.Spec(every(time.Minute, c0))},
				{Revision: 2, At: at(3, 30), Def: ledger.Spec(every(2*time.Minute, at(3, 30)))},
			},
			events: concat(ran(1, 1, event.Succeeded), ran(2, 1, event.Succeeded), ran(3, 1, event.Succeeded),
				ran(4, 1, event.Succeeded), ran(8, 1, event.Succeeded)),
			q: ledger.Query{Now: at(8, 30)},
			want: []string{
				"00:01:00 on_time succeeded r1 +1s",
				"00:02:00 on_time succeeded r1 +1s",
				"00:03:00 on_time succeeded r1 +1s",
				"00:04:00 on_time succeeded r2 +1s",
				"00:06:00 unaccounted - r2",
				"00:08:00 on_time succeeded r2 +1s",
			},
			reasons: map[int]string{4: "no event"},
		},
		{
			name:   "PublishedNeverStarted",
			revs:   oneMin,
			events: []event.Event{sched(1, at(1, 0), job.TriggerSchedule, 0), sched(2, at(2, 0), job.TriggerSchedule, 0)},
			q:      ledger.Query{Now: at(2, 30)},
			want: []string{
				"00:01:00 late pending r1 +1m30s",
				"00:02:00 on_time pending r1",
			},
			reasons: map[int]string{0: "not started yet"},
		},
		{
			name: "DeletedAndCompleted",
			revs: []ledger.Revision{
				{Revision: 1, At: c0, Def: ledger.Spec(every(time.Minute, c0))},
				{Revision: 2, At: at(2, 30)},
			},
			events: concat(ran(1, 1, event.Succeeded), ran(2, 1, event.Succeeded)),
			q:      ledger.Query{Now: at(9, 0)},
			want:   []string{"00:01:00 on_time succeeded r1 +1s", "00:02:00 on_time succeeded r1 +1s"},
		},
		{
			name:   "CompletionsReached",
			revs:   oneMin,
			events: concat(ran(1, 1, event.Succeeded), ran(2, 1, event.Succeeded)),
			q:      ledger.Query{Now: at(9, 0), CompletedAfter: at(2, 0)},
			want:   []string{"00:01:00 on_time succeeded r1 +1s", "00:02:00 on_time succeeded r1 +1s"},
		},
		{
			name: "FiredSlotNoDefinitionExpects",
			revs: oneMin,
			events: concat(ran(1, 1, event.Succeeded), []event.Event{
				{Kind: event.Scheduled, Job: "j", Execution: job.ExecutionID("j", at(1, 30)), Time: at(1, 30), ScheduledAt: event.Slot(at(1, 30))},
				{Kind: event.Scheduled, Job: "j", Execution: job.AdHocExecutionID("j", at(1, 40)), Time: at(1, 40)}, // a manual run: not a slot
				{Kind: event.Scheduled, Job: "other", Execution: job.ExecutionID("other", at(1, 0)), Time: at(1, 0)},
			}),
			q: ledger.Query{Now: at(1, 50)},
			want: []string{
				"00:01:00 on_time succeeded r1 +1s",
				"00:01:30 on_time pending r1 unexpected",
			},
		},
		{
			// The API stamped the job a moment before the bucket stored
			// it, and the scheduler fired the slot in between: that slot
			// is the definition's, and late once it has not started.
			name: "SlotBetweenStampAndStore",
			revs: func() []ledger.Revision {
				stamped := at(0, 59).Add(800 * time.Millisecond)
				s := every(time.Minute, stamped)
				s.CreatedAt, s.UpdatedAt = stamped, stamped
				return []ledger.Revision{{Revision: 1, At: at(1, 0).Add(300 * time.Millisecond), Def: ledger.Spec(s)}}
			}(),
			events: []event.Event{
				sched(1, at(1, 0), job.TriggerSchedule, 1),
				{Kind: event.Skipped, Job: "j", Execution: id(2), Time: at(2, 0), ScheduledAt: event.Slot(at(2, 0)), Reason: "the previous execution has not ended"},
			},
			q:    ledger.Query{Now: at(2, 40), Grace: 10 * time.Second},
			want: []string{"00:01:00 late pending r1 +1m40s", "00:02:00 skipped - r1"},
		},
		{
			// The job's retention deleted the executions of 00:01 and
			// 00:02; the failed 00:03 was kept; 00:04 has no event and
			// is outside the pruned range.
			name: "Pruned",
			revs: oneMin,
			events: concat(ran(3, 1, event.Failed), []event.Event{{Kind: event.JobPruned, Job: "j", Time: at(5, 0), ScheduledAt: event.Slot(at(1, 0)),
				Last: event.Slot(at(2, 0)), Count: 2, Reason: "the job's retention keeps runs: newest 1; failed runs: newest 1"}}),
			q:       ledger.Query{Now: at(4, 30), Grace: 10 * time.Second},
			want:    []string{"00:01:00 pruned - r1", "00:02:00 pruned - r1", "00:03:00 on_time failed r1 +1s", "00:04:00 unaccounted - r1"},
			reasons: map[int]string{0: "with 2 executions: the job's retention keeps"},
		},
		{
			name: "GraceAndWindow",
			revs: oneMin,
			// A 2m grace makes a 90s start on time; the window keeps 3 slots.
			events: concat(ran(2, 90, event.Succeeded)),
			q:      ledger.Query{Now: at(9, 0), Since: at(2, 0), Until: at(4, 0), Grace: 2 * time.Minute},
			want: []string{
				"00:02:00 on_time succeeded r1 +1m30s",
				"00:03:00 unaccounted - r1",
				"00:04:00 unaccounted - r1",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.q.Job = "j"
			x, err := ledger.Expect(tc.revs, tc.q)
			require.NoError(t, err)
			l := ledger.Account(x, tc.events)
			got := make([]string, len(l.Rows))
			for i, r := range l.Rows {
				got[i] = render(r)
				require.Equal(t, job.ExecutionID("j", r.Slot), r.ExecutionID)
			}
			require.Equal(t, tc.want, got)
			for i, want := range tc.reasons {
				require.Contains(t, l.Rows[i].Reason, want, "row %d", i)
			}
			total := 0
			for _, n := range l.Fired {
				total += n
			}
			require.Equal(t, len(l.Rows), total)
		})
	}
}

func TestExpectBounds(t *testing.T) {
	t.Parallel()

	perSecond := []ledger.Revision{{Revision: 1, At: c0, Def: ledger.Spec(every(time.Second, c0))}} // slots from 00:00:30

	t.Run("KeepsTheNewestRows", func(t *testing.T) {
		t.Parallel()
		x, err := ledger.Expect(perSecond, ledger.Query{Job: "j", Now: at(60, 0), MaxRows: 100})
		require.NoError(t, err)
		l := ledger.Account(x, nil)
		require.Equal(t, 3571, l.Slots)
		require.Len(t, l.Rows, 100)
		require.Equal(t, at(58, 21), l.Rows[0].Slot)
		require.Equal(t, at(60, 0), l.Rows[99].Slot)
		require.Len(t, l.Notes, 1)
		require.Contains(t, l.Notes[0], "3571 slots")
	})

	t.Run("SevenDaysOfSecondsIsBounded", func(t *testing.T) {
		t.Parallel()
		now := t0.Add(8 * 24 * time.Hour)
		x, err := ledger.Expect(perSecond, ledger.Query{Job: "j", Now: now})
		require.NoError(t, err)
		l := ledger.Account(x, nil)
		require.Equal(t, 7*24*3600+1, l.Slots) // both ends included
		require.Len(t, l.Rows, ledger.DefaultMaxRows)
	})

	t.Run("TooManySlots", func(t *testing.T) {
		t.Parallel()
		_, err := ledger.Expect(perSecond, ledger.Query{Job: "j", Now: at(60, 0), MaxScan: 1000})
		require.ErrorIs(t, err, ledger.ErrTooManySlots)
	})

	t.Run("SinceAfterUntil", func(t *testing.T) {
		t.Parallel()
		_, err := ledger.Expect(perSecond, ledger.Query{Job: "j", Now: at(60, 0), Since: at(50, 0), Until: at(40, 0)})
		require.ErrorContains(t, err, "is after until")
	})

	t.Run("UnexpectedRowsAreBoundedToo", func(t *testing.T) {
		t.Parallel()
		// A definition firing every minute, with events of 300 slots a
		// second apart that it does not expect.
		var evs []event.Event
		for i := range 300 {
			slot := at(1, i)
			evs = append(evs, event.Event{Kind: event.Scheduled, Job: "j", Execution: job.ExecutionID("j", slot), Time: slot, ScheduledAt: event.Slot(slot)})
		}
		x, err := ledger.Expect([]ledger.Revision{{Revision: 1, At: c0, Def: ledger.Spec(every(time.Hour, c0))}}, ledger.Query{Job: "j", Now: at(9, 0), MaxRows: 100})
		require.NoError(t, err)
		l := ledger.Account(x, evs)
		require.Len(t, l.Rows, 100)
		require.Equal(t, at(1, 299), l.Rows[99].Slot)
		require.True(t, l.Rows[0].Unexpected)
		require.Contains(t, l.Notes[len(l.Notes)-1], "200 older rows")
	})

	t.Run("HistoryNotKept", func(t *testing.T) {
		t.Parallel()
		spec := every(time.Minute, c0)
		revs := []ledger.Revision{{Revision: 12, At: at(30, 0), Def: ledger.Spec(spec)}} // created at t0, revisions before 12 dropped
		x, err := ledger.Expect(revs, ledger.Query{Job: "j", Now: at(32, 0)})
		require.NoError(t, err)
		l := ledger.Account(x, nil)
		require.Len(t, l.Rows, 3) // 30, 31, 32
		require.Len(t, l.Notes, 1)
		require.Contains(t, l.Notes[0], "not kept")
	})
}

// TestExpectAllocatesForTheSlots runs alone (not parallel): it reads the
// process's allocation counter.
func TestExpectAllocatesForTheSlots(t *testing.T) {
	// The watchdog asks every job each round with MaxRows 1,000; a job
	// with two slots in the window must not pay for a thousand.
	hourly := []ledger.Revision{{Revision: 1, At: c0, Def: ledger.Spec(every(time.Hour, c0))}}
	q := ledger.Query{Job: "j", Since: at(50, 0), Now: at(130, 0), MaxRows: 1000}
	x, err := ledger.Expect(hourly, q)
	require.NoError(t, err)
	require.Len(t, ledger.Account(x, nil).Rows, 2) // 01:00, 02:00
	perCall := bytesPerCall(func() { _, _ = ledger.Expect(hourly, q) })
	require.Less(t, perCall, uint64(4096), "Expect allocated %d bytes for two slots", perCall)
}

// bytesPerCall is what f allocates on average over 100 calls.
func bytesPerCall(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 100 {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / 100
}
