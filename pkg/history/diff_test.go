package history_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/history"
	"github.com/jetcron/jetcron/pkg/job"
)

func spec(mod func(*job.Spec)) *job.Spec {
	s := &job.Spec{
		Name:     "nightly",
		Schedule: job.Schedule{Cron: "0 2 * * *"},
		Task:     job.Task{Kind: job.TaskCommand, Command: []string{"backup", "--all"}},
		Env:      map[string]string{"A": "1"},
	}
	if mod != nil {
		mod(s)
	}
	return s
}

func TestDiff(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		a, b *job.Spec
		want []history.Change
	}{
		{"SameDefinition", spec(nil), spec(nil), nil},
		{"TimestampsIgnored", spec(nil), spec(func(s *job.Spec) { s.UpdatedAt, s.EnabledAt, s.CreatedAt = t0, t0, t0 }), nil},
		{"ScheduleField", spec(nil), spec(func(s *job.Spec) { s.Schedule.Cron = "0 3 * * *" }),
			[]history.Change{{Field: "schedule.cron", Old: `"0 2 * * *"`, New: `"0 3 * * *"`}}},
		{"ScheduleKindChanges", spec(nil), spec(func(s *job.Spec) { s.Schedule = job.Schedule{Every: job.Duration(time.Hour)} }),
			[]history.Change{{Field: "schedule.cron", Old: `"0 2 * * *"`}, {Field: "schedule.every", New: `"1h"`}}},
		{"ListAsAWhole", spec(nil), spec(func(s *job.Spec) { s.Task.Command = []string{"backup"} }),
			[]history.Change{{Field: "task.command", Old: `["backup","--all"]`, New: `["backup"]`}}},
		{"MapKeyByKey", spec(nil), spec(func(s *job.Spec) { s.Env = map[string]string{"A": "2", "B": "x"} }),
			[]history.Change{{Field: "env.A", Old: `"1"`, New: `"2"`}, {Field: "env.B", New: `"x"`}}},
		{"MapEmptied", spec(nil), spec(func(s *job.Spec) { s.Env = nil }),
			[]history.Change{{Field: "env.A", Old: `"1"`}}},
		{"Created", nil, spec(func(s *job.Spec) { s.Env = nil; s.Task.Command = nil }),
			[]history.Change{{Field: "name", New: `"nightly"`}, {Field: "schedule.cron", New: `"0 2 * * *"`}, {Field: "task.kind", New: `"command"`}}},
		{"Disabled", spec(nil), spec(func(s *job.Spec) { s.Disabled, s.DisabledReason = true, "maintenance" }),
			[]history.Change{{Field: "disabled", New: "true"}, {Field: "disabled_reason", New: `"maintenance"`}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, c.want, history.Diff(c.a, c.b))
		})
	}
}

func TestSummary(t *testing.T) {
	t.Parallel()
	require.Equal(t, "no change", history.Summary(nil))
	require.Equal(t, `schedule.cron "0 2 * * *" → "0 3 * * *"`, history.Summary(history.Diff(spec(nil), spec(func(s *job.Spec) { s.Schedule.Cron = "0 3 * * *" }))))
	require.Equal(t, "env.A (none) → \"1\"", history.Summary([]history.Change{{Field: "env.A", New: `"1"`}}))
	many := history.Diff(spec(nil), spec(func(s *job.Spec) {
		s.Description, s.Queue, s.Overlap, s.Completions, s.Jitter, s.Timeout = "d", "q", job.OverlapSkip, 3, job.Duration(time.Second), job.Duration(time.Minute)
	}))
	require.Equal(t, "changed completions, description, jitter, overlap, queue, +1 more", history.Summary(many))
}

func TestCompareFires(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f := history.CompareFires(spec(nil), spec(func(s *job.Spec) { s.Schedule.Cron = "0 3 * * *" }), now, 3)
	require.Equal(t, []string{"2026-03-02T02:00:00Z", "2026-03-03T02:00:00Z", "2026-03-04T02:00:00Z"}, f.Before)
	require.Equal(t, []string{"2026-03-02T03:00:00Z", "2026-03-03T03:00:00Z", "2026-03-04T03:00:00Z"}, f.After)
	require.True(t, f.Changed)

	f = history.CompareFires(spec(nil), spec(func(s *job.Spec) { s.Description = "only words" }), now, 3)
	require.False(t, f.Changed)

	f = history.CompareFires(spec(nil), spec(func(s *job.Spec) { s.Disabled = true }), now, 3)
	require.Empty(t, f.After, "a disabled job fires never")
	require.True(t, f.Changed)

	f = history.CompareFires(nil, spec(nil), now, 2)
	require.Empty(t, f.Before, "a job that does not exist fires never")
	require.Len(t, f.After, 2)
}

// TestMerge: the stream's records and the bucket's revisions combine by
// revision; the bucket's definition wins; a bucket revision without a
// record shows as unrecorded (or deleted), with its changes.
func TestMerge(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	v1, v2, v3 := spec(nil), spec(func(s *job.Spec) { s.Queue = "b" }), spec(func(s *job.Spec) { s.Queue = "c" })
	recs := []history.Record{
		{Job: "nightly", Revision: 1, Op: history.OpCreated, By: "alice", Spec: v1},
		{Job: "nightly", Revision: 4, Op: history.OpUpdated, By: "bob", Spec: &job.Spec{Name: "nightly"}},
		{Job: "nightly", Revision: 1, Op: history.OpCreated, By: "mallory"}, // a duplicate: the first wins
	}
	bucket := []history.BucketRevision{{Revision: 2, At: t0, Spec: v2}, {Revision: 3, At: t0}, {Revision: 4, At: t0, Spec: v3}}
	got := history.Merge("nightly", recs, bucket)
	require.Len(t, got, 4)
	require.Equal(t, []uint64{1, 2, 3, 4}, []uint64{got[0].Revision, got[1].Revision, got[2].Revision, got[3].Revision})
	require.Equal(t, "alice", got[0].By)
	require.Equal(t, history.OpUnrecorded, got[1].Op)
	require.Equal(t, "unknown", got[1].Who())
	require.Equal(t, []string{"queue"}, got[1].Changes)
	require.Equal(t, history.OpDeleted, got[2].Op)
	require.Equal(t, "nightly", got[2].Job)
	require.Equal(t, v3, got[3].Spec, "the bucket's definition wins")
	require.Equal(t, "bob", got[3].By)
	_, ok := history.Find(got, 5)
	require.False(t, ok)
}

func TestFiresDroppedAndAdded(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC) // a Friday
	f := history.CompareFires(spec(nil), spec(func(s *job.Spec) { s.Schedule.Cron = "0 2 * * 1-6" }), now, history.PreviewFires)
	require.Equal(t, []string{"2026-12-06T02:00:00Z", "2026-12-13T02:00:00Z"}, f.Dropped, "the Sundays, within the common horizon")
	require.Empty(t, f.Added)
	f = history.CompareFires(spec(nil), spec(func(s *job.Spec) { s.Schedule.Cron = "0 3 * * *" }), now, 2)
	require.Equal(t, []string{"2026-12-05T02:00:00Z", "2026-12-06T02:00:00Z"}, f.Dropped)
	require.Equal(t, []string{"2026-12-05T03:00:00Z"}, f.Added, "up to the common horizon: 6 Dec 02:00")
	f = history.CompareFires(spec(nil), spec(func(s *job.Spec) { s.Disabled = true }), now, 2)
	require.Equal(t, []string{"2026-12-05T02:00:00Z", "2026-12-06T02:00:00Z"}, f.Dropped, "a job that stops firing drops them all")
}
