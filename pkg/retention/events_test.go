package retention_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/retention"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// run is the events of the execution of minute m, ended with kind.
func run(m int, kind event.Kind) []event.Event {
	slot := t0.Add(time.Duration(m) * time.Minute)
	id := job.ExecutionID("j", slot)
	evs := []event.Event{{Kind: event.Scheduled, Job: "j", Execution: id, Time: slot, ScheduledAt: event.Slot(slot)}}
	if kind == "" {
		return evs // still running
	}
	return append(evs, event.Event{Kind: kind, Job: "j", Execution: id, Time: slot.Add(10 * time.Second), Attempt: 1})
}

func ids(xs []retention.Finished) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x.ID[len("j-20260101T"):]
	}
	return out
}

// TestSelect: each limit of each kind, the floor, and unfinished runs.
func TestSelect(t *testing.T) {
	t.Parallel()
	var evs []event.Event
	kinds := []event.Kind{event.Succeeded, event.Failed, event.Succeeded, event.Skipped, event.TimedOut, event.Succeeded, event.Failed, event.Succeeded, ""}
	for m, k := range kinds {
		evs = append(evs, run(m, k)...)
	}
	fin := retention.FinishedOf(evs)
	require.Len(t, fin, 8, "the running one is not finished")
	now := t0.Add(time.Hour)
	for _, tc := range []struct {
		name  string
		r     job.Retention
		floor time.Duration
		now   time.Time
		want  []string
	}{
		{name: "NoLimit", r: job.Retention{Logs: job.Duration(time.Hour)}, now: now, want: []string{}},
		{name: "NewestTwoOfEachKind", r: job.Retention{Executions: 2}, now: now,
			// Not failed: 0,2,3,5,7 keep 5,7. Failed: 1,4,6 keep 4,6.
			want: []string{"000000Z", "000100Z", "000200Z", "000300Z"}},
		{name: "FailuresKeptLonger", r: job.Retention{Executions: 1, FailedExecutions: 3}, now: now,
			want: []string{"000000Z", "000200Z", "000300Z", "000500Z"}},
		{name: "History", r: job.Retention{History: job.Duration(55 * time.Minute), FailedHistory: job.Duration(57 * time.Minute)}, now: now,
			// Ended at m:10 each: 0..4 ended more than 55m before 01:00,
			// 0..2 more than 57m; failed are 1 and 4.
			want: []string{"000000Z", "000100Z", "000200Z", "000300Z"}},
		{name: "BothLimitsWhicheverFirst", r: job.Retention{Executions: 4, History: job.Duration(58 * time.Minute)}, now: now,
			want: []string{"000000Z", "000100Z"}},
		{name: "Floor", r: job.Retention{Executions: 1}, floor: 57 * time.Minute, now: now,
			// Only 0,1,2 ended 57m or more ago; the failed 1 is beyond
			// the newest failure (6) too.
			want: []string{"000000Z", "000100Z", "000200Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := ids(retention.Select(&tc.r, fin, tc.now, tc.floor))
			require.Equal(t, tc.want, got)
		})
	}
}

// fakeEvents is an in-memory events stream.
type fakeEvents struct {
	evs      []event.Event
	purged   []string
	recorded []event.Event
	failAt   int // the purge that fails, from 1; 0 never
}

func (f *fakeEvents) JobEventsSince(context.Context, string, time.Time, int) ([]event.Event, error) {
	return f.evs, nil
}

func (f *fakeEvents) PurgeExecution(_ context.Context, _, id string) error {
	if len(f.purged)+1 == f.failAt {
		return errors.New("no quorum")
	}
	f.purged = append(f.purged, id)
	return nil
}

func (f *fakeEvents) Record(_ context.Context, e event.Event) error {
	f.recorded = append(f.recorded, e)
	return nil
}

// TestPruneExecutions: the executions go whole, one job_pruned event
// records them; a dry run changes nothing.
func TestPruneExecutions(t *testing.T) {
	t.Parallel()
	var evs []event.Event
	for m := range 5 {
		evs = append(evs, run(m, event.Succeeded)...)
	}
	spec := job.Spec{Name: "j", Retention: &job.Retention{Executions: 2}}
	now := t0.Add(2 * time.Hour)

	f := &fakeEvents{evs: evs}
	p, err := retention.PruneExecutions(t.Context(), f, spec, now, time.Hour, true)
	require.NoError(t, err)
	require.Equal(t, []string{"000000Z", "000100Z", "000200Z"}, ids(p.Deleted))
	require.Empty(t, f.purged, "dry")
	require.Empty(t, f.recorded, "dry")

	p, err = retention.PruneExecutions(t.Context(), f, spec, now, time.Hour, false)
	require.NoError(t, err)
	require.Equal(t, 2, p.Kept)
	require.Equal(t, []string{"j-20260101T000000Z", "j-20260101T000100Z", "j-20260101T000200Z"}, f.purged)
	require.Len(t, f.recorded, 1)
	r := f.recorded[0]
	require.Equal(t, event.JobPruned, r.Kind)
	require.Equal(t, 3, r.Count)
	require.Equal(t, t0, *r.ScheduledAt)
	require.Equal(t, t0.Add(2*time.Minute), *r.Last)
	require.Equal(t, "the job's retention keeps runs: newest 2; failed runs: newest 2", r.Reason)

	// Recorded before the purges: a prune that stops half way leaves no
	// deleted slot unrecorded.
	f = &fakeEvents{evs: evs, failAt: 2}
	p, err = retention.PruneExecutions(t.Context(), f, spec, now, time.Hour, false)
	require.ErrorContains(t, err, "no quorum")
	require.Equal(t, []string{"000000Z"}, ids(p.Deleted))
	require.Len(t, f.recorded, 1)
	require.Equal(t, 3, f.recorded[0].Count)
}

// TestPruneKeepsTheFiresCompletionsCount: a job with completions keeps
// every fire of its schedule, which a new leader recounts from the events
// (chaos seed 3819930251: a job with 7 completions fired 8 slots after
// its fires were pruned and a leader recounted); its other runs go.
func TestPruneKeepsTheFiresCompletionsCount(t *testing.T) {
	t.Parallel()
	var evs []event.Event
	for m := range 4 {
		fire := run(m, event.Succeeded)
		fire[0].Trigger = job.TriggerSchedule
		evs = append(evs, fire...)
	}
	skipped := t0.Add(10 * time.Minute)
	evs = append(evs, event.Event{Kind: event.Skipped, Job: "j", Execution: job.ExecutionID("j", skipped), Time: skipped, ScheduledAt: event.Slot(skipped), Trigger: job.TriggerSchedule})
	manual := run(11, event.Succeeded)
	manual[0].Trigger = job.TriggerManual
	evs = append(evs, manual...)
	spec := job.Spec{Name: "j", Completions: 4, Retention: &job.Retention{Executions: 1}}
	f := &fakeEvents{evs: evs}
	p, err := retention.PruneExecutions(t.Context(), f, spec, t0.Add(2*time.Hour), time.Hour, false)
	require.NoError(t, err)
	require.Equal(t, []string{"001000Z"}, ids(p.Deleted), "the skipped slot goes, the newest run (manual) stays, every fire stays")
	require.Equal(t, 5, p.Kept)
}

// TestPruneIgnoresForgedIDs: an event whose execution is not an ID of its
// job (a wildcard, another job's) never becomes a purge.
func TestPruneIgnoresForgedIDs(t *testing.T) {
	t.Parallel()
	old := t0.Add(-time.Hour)
	var evs []event.Event
	for _, id := range []string{"*", ">", "j-20260101T000000Z.*", "k-20260101T000000Z", ""} {
		evs = append(evs, event.Event{Kind: event.Succeeded, Job: "j", Execution: id, Time: old, Attempt: 1})
	}
	evs = append(evs, event.Event{Kind: event.Succeeded, Job: "k", Execution: "k-20260101T000100Z", Time: old, Attempt: 1})
	f := &fakeEvents{evs: evs}
	p, err := retention.PruneExecutions(t.Context(), f, job.Spec{Name: "j", Retention: &job.Retention{Executions: 1}}, t0.Add(2*time.Hour), time.Hour, false)
	require.NoError(t, err)
	require.Empty(t, p.Deleted)
	require.Empty(t, f.purged)
}

// Next is when a kept execution may go without another ending: when it
// leaves the floor while beyond the newest N, or passes its history; never
// when the counts keep it.
func TestNextIsWhenAKeptExecutionMayGo(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	fin := func(id string, ago time.Duration, failed bool) retention.Finished {
		ended := now.Add(-ago)
		return retention.Finished{ID: id, Slot: ended.Add(-time.Minute), Last: ended.Add(-time.Minute), Ended: ended, Failed: failed}
	}
	floor := time.Hour
	for _, tc := range []struct {
		name string
		r    *job.Retention
		kept []retention.Finished
		want time.Time
	}{
		{"the counts keep them", &job.Retention{Executions: 2}, []retention.Finished{fin("a", 10*time.Minute, false), fin("b", 2*time.Hour, false)}, time.Time{}},
		{"beyond the newest N, in the floor", &job.Retention{Executions: 1}, []retention.Finished{fin("a", 10*time.Minute, false), fin("b", 20*time.Minute, false)}, now.Add(40 * time.Minute)},
		{"its history passes", &job.Retention{History: job.Duration(24 * time.Hour)}, []retention.Finished{fin("a", 23*time.Hour, false)}, now.Add(time.Hour + time.Nanosecond)},
		{"a failure's history", &job.Retention{Executions: 5, FailedHistory: job.Duration(48 * time.Hour)}, []retention.Finished{fin("a", 23*time.Hour, false), fin("f", 47*time.Hour, true)}, now.Add(time.Hour + time.Nanosecond)},
		{"none kept", &job.Retention{Executions: 1}, nil, time.Time{}},
		{"no limit on executions", &job.Retention{Logs: job.Duration(time.Hour)}, []retention.Finished{fin("a", 10*time.Minute, false)}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Empty(t, retention.Select(tc.r, tc.kept, now, floor), "all kept at now")
			got := retention.Next(tc.r, tc.kept, now, floor)
			require.True(t, tc.want.Equal(got), "next %s, want %s", got, tc.want)
			if !got.IsZero() {
				require.Empty(t, retention.Select(tc.r, tc.kept, got.Add(-time.Nanosecond), floor), "none goes before it")
				require.NotEmpty(t, retention.Select(tc.r, tc.kept, got, floor), "one goes then")
			}
		})
	}
}
