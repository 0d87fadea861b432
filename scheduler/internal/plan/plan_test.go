package plan

import (
	"fmt"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/schedule"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func every(d time.Duration) schedule.Schedule { return schedule.Every{Interval: d} }

func slotsOf(fs []Slot) []time.Time {
	var out []time.Time
	for _, f := range fs {
		out = append(out, f.At)
	}
	return out
}

func minutes(from time.Time, a, b int) []time.Time {
	var out []time.Time
	for i := a; i <= b; i++ {
		out = append(out, from.Add(time.Duration(i)*time.Minute))
	}
	return out
}

func TestDecide(t *testing.T) {
	t.Parallel()
	type want struct {
		fire         []time.Time
		trigger      job.Trigger
		missed       []time.Time
		rangeCount   int
		rangeAtLeast bool
		cursor       time.Time
		done         bool
	}
	cases := []struct {
		name  string
		entry Entry
		now   time.Time
		want  want
	}{
		{
			name:  "OnTime",
			entry: Entry{Job: "a", Schedule: every(time.Minute), Window: 5 * time.Minute, Cursor: t0, Remaining: -1},
			now:   t0.Add(time.Minute + 3*time.Millisecond),
			want:  want{fire: minutes(t0, 1, 1), trigger: job.TriggerSchedule, cursor: t0.Add(time.Minute)},
		},
		{
			name:  "OutageOf100MinutesWindow5mAll",
			entry: Entry{Job: "a", Schedule: every(time.Minute), Window: 5 * time.Minute, Cursor: t0, Remaining: -1},
			now:   t0.Add(100*time.Minute + time.Second),
			want:  want{fire: minutes(t0, 96, 100), trigger: job.TriggerCatchUp, missed: minutes(t0, 1, 95), cursor: t0.Add(100 * time.Minute)},
		},
		{
			name:  "OutageOf100MinutesWindow5mLatest",
			entry: Entry{Job: "a", Schedule: every(time.Minute), Window: 5 * time.Minute, Latest: true, Cursor: t0, Remaining: -1},
			now:   t0.Add(100*time.Minute + time.Second),
			want:  want{fire: minutes(t0, 100, 100), trigger: job.TriggerSchedule, missed: minutes(t0, 1, 99), cursor: t0.Add(100 * time.Minute)},
		},
		{
			name:  "SlotExactlyAtWindowEdgeIsMissed",
			entry: Entry{Job: "a", Schedule: every(time.Minute), Window: 5 * time.Minute, Cursor: t0, Remaining: -1},
			now:   t0.Add(6 * time.Minute),
			want:  want{fire: minutes(t0, 2, 6), trigger: job.TriggerCatchUp, missed: minutes(t0, 1, 1), cursor: t0.Add(6 * time.Minute)},
		},
		{
			name:  "NewJobOwesNothingBeforeCreation",
			entry: Entry{Job: "a", Schedule: every(time.Minute), Window: 5 * time.Minute, NotBefore: t0.Add(30 * time.Second), Remaining: -1},
			now:   t0.Add(time.Minute),
			want:  want{fire: minutes(t0, 1, 1), trigger: job.TriggerSchedule, cursor: t0.Add(time.Minute)},
		},
		{
			name:  "EnabledAfterPauseDoesNotReplayPause",
			entry: Entry{Job: "a", Schedule: every(time.Minute), Window: 5 * time.Minute, Cursor: t0, NotBefore: t0.Add(30*time.Minute + time.Second), Remaining: -1},
			now:   t0.Add(31 * time.Minute),
			want:  want{fire: minutes(t0, 31, 31), trigger: job.TriggerSchedule, cursor: t0.Add(31 * time.Minute)},
		},
		{
			name:  "CompletionsStopFiring",
			entry: Entry{Job: "a", Schedule: every(time.Second), Window: time.Minute, Cursor: t0, Remaining: 3},
			now:   t0.Add(10 * time.Second),
			want:  want{fire: []time.Time{t0.Add(1 * time.Second), t0.Add(2 * time.Second), t0.Add(3 * time.Second)}, trigger: job.TriggerCatchUp, cursor: t0.Add(3 * time.Second), done: true},
		},
		{
			name:  "OneShotFiresOnce",
			entry: Entry{Job: "a", Schedule: schedule.Once{At: t0.Add(10 * time.Second)}, Window: time.Minute, Remaining: -1},
			now:   t0.Add(10 * time.Second),
			want:  want{fire: []time.Time{t0.Add(10 * time.Second)}, trigger: job.TriggerSchedule, cursor: t0.Add(10 * time.Second), done: true},
		},
		{
			name:  "OneShotPastItsWindowIsMissed",
			entry: Entry{Job: "a", Schedule: schedule.Once{At: t0.Add(10 * time.Second)}, Window: time.Minute, Remaining: -1},
			now:   t0.Add(2 * time.Hour),
			want:  want{missed: []time.Time{t0.Add(10 * time.Second)}, cursor: t0.Add(10 * time.Second), done: true},
		},
		{
			name:  "TwoDayOutageOfSecondlyJobIsBounded",
			entry: Entry{Job: "a", Schedule: every(time.Second), Window: 5 * time.Minute, Cursor: t0, Remaining: -1},
			now:   t0.Add(48 * time.Hour),
			want: want{
				fire:         nil, // checked by count below
				missed:       nil,
				rangeCount:   MaxMissedCount,
				rangeAtLeast: true,
				cursor:       t0.Add(48 * time.Hour),
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := decide(tc.entry, tc.now)
			require.Equal(t, tc.want.cursor, d.Cursor, "cursor")
			require.Equal(t, tc.want.done, d.Done, "done")
			if tc.name == "TwoDayOutageOfSecondlyJobIsBounded" {
				require.Len(t, d.Fire, 300) // lateness < 5m: slots now-299s .. now
				require.Len(t, d.Missed, MaxMissedEvents)
				require.NotNil(t, d.MissedRange)
				require.Equal(t, tc.want.rangeCount, d.MissedRange.Count)
				require.True(t, d.MissedRange.AtLeast)
				return
			}
			require.Equal(t, tc.want.fire, slotsOf(d.Fire), "fire")
			if len(d.Fire) > 0 {
				require.Equal(t, tc.want.trigger, d.Fire[0].Trigger, "trigger of the oldest slot fired")
			}
			require.Equal(t, tc.want.missed, d.Missed, "missed")
			require.Nil(t, d.MissedRange)
		})
	}
}

func TestPlanDueInOrderWithJitter(t *testing.T) {
	t.Parallel()
	p := newTable()
	require.True(t, p.Upsert(Entry{Job: "late", Schedule: every(time.Minute), Window: time.Minute, Cursor: t0, Jitter: 7 * time.Second, Remaining: -1}))
	require.True(t, p.Upsert(Entry{Job: "early", Schedule: every(time.Minute), Window: time.Minute, Cursor: t0, Remaining: -1}))
	due, ok := p.NextDue()
	require.True(t, ok)
	require.Equal(t, t0.Add(time.Minute), due)

	ds := p.Due(t0.Add(time.Minute+6*time.Second), 0)
	require.Len(t, ds, 1)
	require.Equal(t, "early", ds[0].Job)
	require.Empty(t, p.Due(t0.Add(time.Minute+6*time.Second), 0))

	ds = p.Due(t0.Add(time.Minute+7*time.Second), 0)
	require.Len(t, ds, 1)
	require.Equal(t, "late", ds[0].Job)
	require.Equal(t, []time.Time{t0.Add(time.Minute)}, slotsOf(ds[0].Fire), "the slot is the schedule's, not slot+jitter")

	due, _ = p.NextDue()
	require.Equal(t, t0.Add(2*time.Minute), due)
}

func TestPlanCompletedJobsLeave(t *testing.T) {
	t.Parallel()
	p := newTable()
	require.True(t, p.Upsert(Entry{Job: "twice", Schedule: every(time.Second), Window: time.Minute, Cursor: t0, Remaining: 2}))
	ds := p.Due(t0.Add(time.Second), 0)
	require.False(t, ds[0].Done)
	ds = p.Due(t0.Add(2*time.Second), 0)
	require.True(t, ds[0].Done)
	require.Equal(t, 0, p.Len())
	require.False(t, p.Upsert(Entry{Job: "done", Schedule: every(time.Second), Remaining: 0}))
	require.False(t, p.Upsert(Entry{Job: "past", Schedule: schedule.Once{At: t0}, Cursor: t0, Remaining: -1}))
}

func TestPlanRetryKeepsCursor(t *testing.T) {
	t.Parallel()
	p := newTable()
	p.Upsert(Entry{Job: "a", Schedule: every(time.Minute), Window: 5 * time.Minute, Cursor: t0, Remaining: -1})
	ds := p.Due(t0.Add(time.Minute), 0)
	require.Len(t, ds[0].Fire, 1)
	p.Retry("a", t0, t0.Add(time.Minute+time.Second))
	require.Empty(t, p.Due(t0.Add(time.Minute), 0))
	ds = p.Due(t0.Add(time.Minute+time.Second), 0)
	require.Equal(t, minutes(t0, 1, 1), slotsOf(ds[0].Fire))
}

func TestPlanDueMax(t *testing.T) {
	t.Parallel()
	p := newTable()
	for i := range 10 {
		p.Upsert(Entry{Job: fmt.Sprintf("j%d", i), Schedule: every(time.Minute), Window: time.Minute, Cursor: t0, Remaining: -1})
	}
	require.Len(t, p.Due(t0.Add(time.Minute), 4), 4)
	require.Len(t, p.Due(t0.Add(time.Minute), 0), 6)
}

func TestPlanManyJobsOrdered(t *testing.T) {
	t.Parallel()
	p := newTable()
	const n = 10_000
	for i := range n {
		p.Upsert(Entry{Job: fmt.Sprintf("j%05d", i), Schedule: schedule.Every{Interval: time.Hour, Anchor: t0.Add(time.Duration(i) * time.Second)}, Window: time.Minute, Cursor: t0, Remaining: -1})
	}
	var last time.Time
	count := 0
	for now := t0; count < n; now = now.Add(time.Second) {
		for _, d := range p.Due(now, 0) {
			require.Len(t, d.Fire, 1)
			require.False(t, d.Fire[0].At.Before(last))
			last = d.Fire[0].At
			count++
		}
	}
	require.Equal(t, n, p.Len())
}

func BenchmarkPlanMillionJobs(b *testing.B) {
	p := newTable()
	for i := range 1_000_000 {
		p.Upsert(Entry{Job: fmt.Sprintf("j%07d", i), Schedule: schedule.Every{Interval: time.Hour, Anchor: t0.Add(time.Duration(i%3600) * time.Second)}, Window: time.Minute, Cursor: t0, Remaining: -1})
	}
	b.ResetTimer()
	now := t0
	fired := 0
	for b.Loop() {
		now = now.Add(time.Second)
		fired += len(p.Due(now, 0))
	}
	b.ReportMetric(float64(fired)/float64(b.N), "fires/op")
}

// A leader holds an item per job: a million of them at scale.
func TestItemSize(t *testing.T) {
	if got := unsafe.Sizeof(Item{}); got > 96 {
		t.Fatalf("an Item is %d bytes, want at most 96", got)
	}
}

// An entry comes back from the plan with the instants it went in with,
// whether Unix nanoseconds hold them or not, and with its calendars.
func TestEntryKeepsItsInstants(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	skip := func(time.Time) (string, bool) { return "", false }
	cases := map[string]struct {
		cursor, notBefore time.Time
		skip              func(time.Time) (string, bool)
	}{
		"zero cursor":           {notBefore: t0},
		"utc":                   {cursor: t0, notBefore: t0.Add(-time.Hour)},
		"zoned":                 {cursor: t0.In(berlin), notBefore: t0.Add(-time.Hour).In(berlin)},
		"before 1678":           {cursor: time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC), notBefore: time.Date(1400, 1, 1, 0, 0, 0, 0, time.UTC)},
		"zero notBefore":        {cursor: t0},
		"calendar":              {cursor: t0, notBefore: t0, skip: skip},
		"calendar, before 1678": {cursor: time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC), skip: skip},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			p := newTable()
			require.True(t, p.Upsert(Entry{Job: "a", Schedule: every(time.Minute), Cursor: c.cursor, NotBefore: c.notBefore, Remaining: -1, Window: time.Hour, Jitter: 3 * time.Millisecond, Latest: true, Skip: c.skip}))
			check := func(want time.Time) {
				t.Helper()
				e, ok := p.Get("a")
				require.True(t, ok)
				require.True(t, e.Cursor.Equal(want), "cursor %v, want %v", e.Cursor, want)
				require.True(t, e.NotBefore.Equal(c.notBefore), "notBefore %v, want %v", e.NotBefore, c.notBefore)
				require.Equal(t, c.skip != nil, e.Skip != nil)
				require.Equal(t, 3*time.Millisecond, e.Jitter)
				require.Equal(t, time.Hour, e.Window)
				require.True(t, e.Latest)
			}
			check(c.cursor)
			// A retry moves the cursor, to an instant nanoseconds hold or not.
			for _, cur := range []time.Time{t0.Add(time.Minute), time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), {}} {
				p.Retry("a", cur, t0)
				check(cur)
			}
			due, ok := p.NextDue()
			require.True(t, ok)
			require.True(t, due.Equal(t0), "due %v", due)
		})
	}
}

// Due times beyond what Unix nanoseconds hold keep their order.
func TestDueBeyondNanoseconds(t *testing.T) {
	p := newTable()
	far := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	require.True(t, p.Upsert(Entry{Job: "far", Schedule: schedule.Once{At: far}, Remaining: -1}))
	require.True(t, p.Upsert(Entry{Job: "near", Schedule: schedule.Once{At: t0}, Remaining: -1}))
	due, ok := p.NextDue()
	require.True(t, ok)
	require.True(t, due.Equal(t0))
	d := p.Due(t0, 0)
	require.Len(t, d, 1)
	require.Equal(t, "near", d[0].Job)
	require.Empty(t, p.Due(t0.Add(24*time.Hour), 0))
	e, ok := p.Get("far")
	require.True(t, ok)
	require.True(t, e.Schedule.Next(e.Cursor).Equal(far))
}

// table is the caller's side of a plan in these tests: each job's item, by
// name, as the leader keeps them with its jobs.
type table struct {
	*Plan
	items map[string]*Item
}

func newTable() *table { return &table{Plan: New(), items: map[string]*Item{}} }

func (t *table) item(name string) *Item {
	it, ok := t.items[name]
	if !ok {
		it = &Item{}
		t.items[name] = it
	}
	return it
}

func (t *table) Upsert(e Entry) bool                     { return t.Plan.Upsert(t.item(e.Job), e) }
func (t *table) Get(name string) (Entry, bool)           { return t.Plan.Get(t.item(name)) }
func (t *table) Retry(name string, cursor, at time.Time) { t.Plan.Retry(t.item(name), cursor, at) }
func (t *table) Remove(name string)                      { t.Plan.Remove(t.item(name)) }

// An item taken out of the plan, removed or completed, holds nothing, and
// may go back in.
func TestItemOutOfThePlan(t *testing.T) {
	p := newTable()
	require.True(t, p.Upsert(Entry{Job: "a", Schedule: every(time.Minute), Cursor: t0, Remaining: -1}))
	require.True(t, p.Upsert(Entry{Job: "b", Schedule: every(time.Minute), Window: time.Minute, Cursor: t0, Remaining: 1}))
	require.Equal(t, 2, p.Len())
	p.Remove("a")
	require.Equal(t, Item{}, *p.items["a"])
	_, ok := p.Get("a")
	require.False(t, ok)
	p.Retry("a", t0, t0) // out of the plan: nothing happens
	require.Equal(t, 1, p.Len())
	d := p.Due(t0.Add(time.Minute), 0)
	require.Len(t, d, 1)
	require.True(t, d[0].Done)
	require.Equal(t, Item{}, *p.items["b"])
	require.Zero(t, p.Len())
	require.True(t, p.Upsert(Entry{Job: "a", Schedule: every(time.Minute), Cursor: t0, Remaining: -1}))
	e, ok := p.Get("a")
	require.True(t, ok)
	require.True(t, e.Cursor.Equal(t0))
}
