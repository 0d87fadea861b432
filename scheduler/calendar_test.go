package scheduler_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/calendar"
	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/scheduler"
)

// A scheduler started against resources without the calendars bucket
// (made by an older version; --skip-ensure) still leads and fires; once
// the bucket is made, calendars work without a restart.
func TestCalendarsBucketMadeLater(t *testing.T) {
	b := setup(t)
	names := b.topo.Names()
	require.NoError(t, b.js.DeleteKeyValue(t.Context(), names.CalendarsBucket()))
	nc := natstest.Connect(t, b.srv)
	s, err := scheduler.New(nc, scheduler.Config{ID: "a", Topology: b.topo, Clock: clock.New(), FlushInterval: 100 * time.Millisecond, SkipEnsure: true})
	require.NoError(t, err)
	require.NoError(t, s.Start(t.Context()))
	t.Cleanup(func() { _ = s.Stop(t.Context()) })

	b.create(t, job.Spec{Name: "tick", Schedule: job.Schedule{Every: job.Duration(time.Second)}, Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}, Overlap: job.OverlapAllow})
	natstest.Eventually(t, 20*time.Second, func() bool { return len(b.works(t)) >= 2 }, "the job fires without the calendars bucket")
	var resp api.CalendarCreateResponse
	err = api.Call(t.Context(), b.nc, names, api.VerbCalendarCreate, api.CalendarCreateRequest{Calendar: calendar.Calendar{Name: "c", Dates: []string{"2026-12-24"}}}, &resp)
	require.ErrorIs(t, err, api.ErrUnavailable, "calendars need the bucket")

	for _, kv := range b.topo.KeyValueConfigs() {
		if kv.Bucket == names.CalendarsBucket() {
			_, err := b.js.CreateKeyValue(t.Context(), kv)
			require.NoError(t, err)
		}
	}
	from := time.Now().Truncate(time.Second).Add(8 * time.Second) // after the leader's next look (5s)
	to := from.Add(2 * time.Second)
	require.NoError(t, api.Call(t.Context(), b.nc, names, api.VerbCalendarCreate, api.CalendarCreateRequest{Calendar: calendar.Calendar{Name: "c", Windows: []calendar.Window{{Start: from, End: to}}}}, &resp))
	var cr api.CreateResponse
	require.NoError(t, api.Call(t.Context(), b.nc, names, api.VerbJobCreate, api.CreateRequest{Update: true, Spec: job.Spec{Name: "tick", Schedule: job.Schedule{Every: job.Duration(time.Second)}, Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}, Overlap: job.OverlapAllow, SkipCalendars: []string{"c"}}}, &cr))
	natstest.Eventually(t, 30*time.Second, func() bool {
		n := 0
		for _, e := range b.events(t, event.Skipped) {
			if e.ScheduledAt != nil && !e.ScheduledAt.Before(from) && e.ScheduledAt.Before(to) {
				n++
			}
		}
		return n == 2
	}, "the window's two slots are skipped")
	for _, w := range b.works(t) {
		require.False(t, !w.ScheduledAt.Before(from) && w.ScheduledAt.Before(to), "slot %s in the window was published", w.ScheduledAt)
	}
}
