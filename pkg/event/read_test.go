package event_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/topology"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// seed appends n executions of job (scheduled, started, succeeded each),
// interleaved with other jobs' events, many in flight.
func seed(tb testing.TB, js jetstream.JetStream, names topology.Names, jobName string, n int) {
	tb.Helper()
	p := event.NewPublisher(js, names)
	var futures []jetstream.PubAckFuture
	exit := 0
	for i := range n {
		slot := t0.Add(time.Duration(i) * time.Second)
		id := job.ExecutionID(jobName, slot)
		other := job.ExecutionID("noise", slot)
		for _, e := range []event.Event{
			{Kind: event.Scheduled, Job: jobName, Execution: id, Time: slot, ScheduledAt: event.Slot(slot)},
			{Kind: event.Scheduled, Job: "noise", Execution: other, Time: slot, ScheduledAt: event.Slot(slot)},
			{Kind: event.Started, Job: jobName, Execution: id, Time: slot, Attempt: 1, Worker: "w1"},
			{Kind: event.Succeeded, Job: jobName, Execution: id, Time: slot.Add(time.Second), Attempt: 1, ExitCode: &exit},
		} {
			f, err := p.PublishAsync(e)
			require.NoError(tb, err)
			futures = append(futures, f)
		}
		if len(futures) >= 1000 {
			for _, f := range futures {
				select {
				case <-f.Ok():
				case err := <-f.Err():
					require.NoError(tb, err)
				}
			}
			futures = futures[:0]
		}
	}
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			require.NoError(tb, err)
		}
	}
}

func TestListPagesNewestFirst(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	nc, js, topo := env.NC, env.JS, env.Topo
	seed(t, js, topo.Names(), "busy", 2500)
	r := event.NewReader(nc, js, topo.Names())

	var all []job.Execution
	var before uint64
	for {
		page, next, err := r.List(t.Context(), event.ListOptions{Job: "busy", Limit: 400, Before: before})
		require.NoError(t, err)
		all = append(all, page...)
		if next == 0 {
			break
		}
		before = next
	}
	require.Len(t, all, 2500, "every execution once across pages")
	seen := map[string]bool{}
	for i, x := range all {
		require.False(t, seen[x.ID], "%s listed twice", x.ID)
		seen[x.ID] = true
		require.Equal(t, "busy", x.Job)
		require.Equal(t, job.StateSucceeded, x.State)
		require.Equal(t, 1, x.Attempt)
		if i > 0 {
			require.True(t, x.ScheduledAt.Before(all[i-1].ScheduledAt), "newest first")
		}
	}
	x, err := r.Get(t.Context(), job.ExecutionID("busy", t0))
	require.NoError(t, err)
	require.Equal(t, job.StateSucceeded, x.State)
	_, err = r.Get(t.Context(), job.ExecutionID("busy", t0.Add(-time.Hour)))
	require.ErrorIs(t, err, job.ErrNotFound)
}

// BenchmarkList100k lists the newest page of a job with 100,000
// executions (300,000 events, interleaved with another job's).
func BenchmarkList100k(b *testing.B) {
	srv := natstest.RunJetStream(b)
	nc := natstest.Connect(b, srv)
	js := natstest.JetStream(b, nc)
	topo := natstest.Topology(b)
	natstest.Ensure(b, js, topo)
	seed(b, js, topo.Names(), "busy", 100_000)
	r := event.NewReader(nc, js, topo.Names())
	for _, limit := range []int{20, 100} {
		b.Run(fmt.Sprintf("limit=%d", limit), func(b *testing.B) {
			for b.Loop() {
				page, _, err := r.List(b.Context(), event.ListOptions{Job: "busy", Limit: limit})
				if err != nil || len(page) != limit {
					b.Fatalf("list: %v (%d)", err, len(page))
				}
			}
		})
	}
	b.Run("get", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.Get(b.Context(), job.ExecutionID("busy", t0.Add(50_000*time.Second))); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestPublishFirst: an execution's event of a kind is stored once, whatever
// the attempt or message ID of a second one (a worker recording the end a
// claim holds, after the role that wrote the claim recorded it).
func TestPublishFirst(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	ctx, names := t.Context(), env.Topo.Names()
	pub := event.NewPublisher(env.JS, names)
	now := time.Now().UTC()
	id := job.AdHocExecutionID("once", now)
	first := event.Event{Kind: event.Cancelled, Job: "once", Execution: id, Time: now, Reason: "by the API"}
	require.NoError(t, pub.PublishFirst(ctx, first))
	again := first
	again.Attempt, again.Worker, again.Reason = 3, "w1", "from the claim"
	require.NoError(t, pub.PublishFirst(ctx, again), "a second end is not an error")
	other := event.Event{Kind: event.Scheduled, Job: "once", Execution: id, Time: now}
	require.NoError(t, pub.PublishFirst(ctx, other), "another kind is stored")

	stream, err := env.JS.Stream(ctx, names.EventsStream())
	require.NoError(t, err)
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(names.EventSubject("once", id, ">")))
	require.NoError(t, err)
	require.Equal(t, map[string]uint64{names.EventSubject("once", id, string(event.Cancelled)): 1, names.EventSubject("once", id, string(event.Scheduled)): 1},
		info.State.Subjects, "one event of each kind")
	m, err := stream.GetLastMsgForSubject(ctx, names.EventSubject("once", id, string(event.Cancelled)))
	require.NoError(t, err)
	require.Contains(t, string(m.Data), "by the API")
}
