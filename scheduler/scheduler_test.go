package scheduler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/scheduler"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/nats-io/nats-server/v2/server.(*Server).startGoRoutine.func1"),
		goleak.IgnoreAnyFunction("github.com/nats-io/nats-server/v2/server.(*fileStore).flushStreamStateLoop"),
	)
}

type bundle struct {
	srv  *natstest.Server
	nc   *nats.Conn
	js   jetstream.JetStream
	topo topology.Config
}

func setup(t *testing.T) *bundle {
	t.Helper()
	srv := natstest.RunJetStream(t)
	nc := natstest.Connect(t, srv)
	b := &bundle{srv: srv, nc: nc, js: natstest.JetStream(t, nc), topo: natstest.Topology(t)}
	natstest.Ensure(t, b.js, b.topo)
	return b
}

func (b *bundle) start(t *testing.T, id string, clk clock.Clock) *scheduler.Scheduler {
	t.Helper()
	nc := natstest.Connect(t, b.srv)
	s, err := scheduler.New(nc, scheduler.Config{ID: id, Topology: b.topo, Clock: clk, FlushInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, s.Start(t.Context()))
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	return s
}

func (b *bundle) create(t *testing.T, spec job.Spec) {
	t.Helper()
	var resp api.CreateResponse
	require.NoError(t, api.Call(t.Context(), b.nc, b.topo.Names(), api.VerbJobCreate, api.CreateRequest{Spec: spec}, &resp))
}

// works returns every work item in the stream.
func (b *bundle) works(t *testing.T) []job.Work {
	t.Helper()
	msgs, err := streamio.DirectBatch(t.Context(), b.nc, streamio.DirectRequest{Stream: b.topo.Names().WorkStream(), Filter: b.topo.Names().WorkSubjects(), Batch: 10000})
	require.NoError(t, err)
	out := make([]job.Work, 0, len(msgs))
	for _, m := range msgs {
		var w job.Work
		require.NoError(t, json.Unmarshal(m.Data, &w))
		out = append(out, w)
	}
	return out
}

// events returns every event of kind in the stream.
func (b *bundle) events(t *testing.T, kind event.Kind) []event.Event {
	t.Helper()
	msgs, err := streamio.DirectBatch(t.Context(), b.nc, streamio.DirectRequest{Stream: b.topo.Names().EventsStream(), Filter: b.topo.Names().Namespace() + ".events.*.*." + string(kind), Batch: 10000})
	require.NoError(t, err)
	var out []event.Event
	for _, m := range msgs {
		e, ok, err := event.Decode(m.Data)
		require.NoError(t, err)
		if ok {
			out = append(out, e)
		}
	}
	return out
}

func everyJob(name string, d time.Duration, overlap job.Overlap) job.Spec {
	return job.Spec{Name: name, Schedule: job.Schedule{Every: job.Duration(d)}, Overlap: overlap,
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}}
}

func leaderOf(ss ...*scheduler.Scheduler) *scheduler.Scheduler {
	for _, s := range ss {
		if s.Leading() {
			return s
		}
	}
	return nil
}

func TestTwoSchedulersFireEachSlotOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s1 := b.start(t, "s1", nil)
	s2 := b.start(t, "s2", nil)
	natstest.Eventually(t, 10*time.Second, func() bool { return leaderOf(s1, s2) != nil }, "a leader is elected")
	require.False(t, s1.Leading() && s2.Leading(), "never two leaders")
	for i := range 5 {
		b.create(t, everyJob(fmt.Sprintf("tick%d", i), time.Second, job.OverlapAllow))
	}
	natstest.Eventually(t, 15*time.Second, func() bool { return len(b.works(t)) >= 20 }, "slots fire")
	seen := map[string]int{}
	for _, w := range b.works(t) {
		seen[w.ID]++
		require.Equal(t, job.ExecutionID(w.Job, w.ScheduledAt), w.ID)
	}
	for id, n := range seen {
		require.Equal(t, 1, n, "slot %s published %d times", id, n)
	}
	sched := map[string]int{}
	for _, e := range b.events(t, event.Scheduled) {
		sched[e.Execution]++
	}
	for id, n := range sched {
		require.Equal(t, 1, n, "slot %s scheduled %d times", id, n)
	}
}

func TestLeaderFailoverKeepsSlots(t *testing.T) {
	t.Parallel()
	b := setup(t)
	nc1 := natstest.Connect(t, b.srv)
	s1, err := scheduler.New(nc1, scheduler.Config{ID: "first", Topology: b.topo, FlushInterval: 100 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, s1.Start(t.Context()))
	natstest.Eventually(t, 10*time.Second, s1.Leading)
	s2 := b.start(t, "second", nil)
	b.create(t, everyJob("steady", time.Second, job.OverlapAllow))
	natstest.Eventually(t, 10*time.Second, func() bool { return len(b.works(t)) >= 3 })
	require.NoError(t, s1.Stop(t.Context())) // resigns at once
	natstest.Eventually(t, 10*time.Second, s2.Leading, "the follower takes over")
	before := len(b.works(t))
	natstest.Eventually(t, 10*time.Second, func() bool { return len(b.works(t)) >= before+3 })
	// Every slot from the first to the last fired exactly once: no gap, no duplicate.
	ws := b.works(t)
	slots := map[time.Time]int{}
	first, last := ws[0].ScheduledAt, ws[0].ScheduledAt
	for _, w := range ws {
		slots[w.ScheduledAt]++
		if w.ScheduledAt.Before(first) {
			first = w.ScheduledAt
		}
		if w.ScheduledAt.After(last) {
			last = w.ScheduledAt
		}
	}
	for s := first; !s.After(last); s = s.Add(time.Second) {
		require.Equal(t, 1, slots[s], "slot %s", s)
	}
}

func TestPausedLeaderPublishesNothingAfterItsLease(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// The first scheduler runs on a clock that only moves when the test
	// moves it: not moving it is a freeze of the whole process's timers.
	fake := clock.NewFake(time.Now())
	frozen := b.start(t, "frozen", fake)
	natstest.Eventually(t, 10*time.Second, frozen.Leading)
	b.create(t, everyJob("fenced", time.Second, job.OverlapAllow))
	var mu sync.Mutex
	stopTicking := make(chan struct{})
	tickDone := make(chan struct{})
	go func() { // keep the fake clock in step with real time
		defer close(tickDone)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopTicking:
				return
			case <-t.C:
				mu.Lock()
				fake.Set(time.Now())
				mu.Unlock()
			}
		}
	}()
	natstest.Eventually(t, 10*time.Second, func() bool { return len(b.works(t)) >= 2 }, "the leader fires")
	term := b.works(t)[0].Term
	close(stopTicking)
	<-tickDone

	// Frozen: no renewals. The lease expires on the server; a second
	// scheduler takes over.
	other := b.start(t, "other", nil)
	natstest.Eventually(t, 15*time.Second, other.Leading, "the other scheduler takes over")
	natstest.Eventually(t, 10*time.Second, func() bool {
		for _, w := range b.works(t) {
			if w.Term != term {
				return true
			}
		}
		return false
	}, "the new leader fires")
	countOld := func() int {
		n := 0
		for _, w := range b.works(t) {
			if w.Term == term {
				n++
			}
		}
		return n
	}
	before := countOld()

	// Wake up: everything the frozen leader had scheduled is due at once.
	mu.Lock()
	fake.Set(time.Now().Add(5 * time.Second))
	mu.Unlock()
	natstest.Eventually(t, 10*time.Second, func() bool { return !frozen.Leading() })
	// Give it every chance to publish, then check it did not.
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		require.Equal(t, before, countOld(), "the ex-leader published after its lease")
		time.Sleep(100 * time.Millisecond) // polling a negative: nothing to wait on
	}
}

func TestInvalidDefinitionIsSkippedAndReported(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.start(t, "s", nil)
	natstest.Eventually(t, 10*time.Second, s.Leading)
	kv, err := b.js.KeyValue(t.Context(), b.topo.Names().JobsBucket())
	require.NoError(t, err)
	_, err = kv.Put(t.Context(), "broken", []byte(`{"name":"broken","schedule":{"every":"10ms"},"task":{"kind":"command","command":["true"]}}`))
	require.NoError(t, err)
	_, err = kv.Put(t.Context(), "garbage", []byte(`not json`))
	require.NoError(t, err)
	b.create(t, everyJob("fine", time.Second, job.OverlapAllow))
	natstest.Eventually(t, 10*time.Second, func() bool { return len(b.events(t, event.JobInvalid)) >= 2 }, "invalid definitions are reported")
	natstest.Eventually(t, 10*time.Second, func() bool { return len(b.works(t)) >= 1 }, "the scheduler keeps firing valid jobs")
	for _, w := range b.works(t) {
		require.Equal(t, "fine", w.Job)
	}
	require.True(t, s.Leading())
}

// TestRunWaitsForItsJobsDefinition: the leader watches the jobs bucket and
// the pending bucket separately, so a run enqueued right after its job was
// created can reach it first. The run waits for the definition instead of
// being rejected ("job create X && job run X" once failed in CI that way).
func TestRunWaitsForItsJobsDefinition(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.start(t, "s", nil)
	natstest.Eventually(t, 10*time.Second, s.Leading)
	pend, err := b.js.KeyValue(t.Context(), b.topo.Names().PendingBucket())
	require.NoError(t, err)
	now := time.Now().UTC()
	id := job.AdHocExecutionID("late", now)
	p, _ := json.Marshal(job.Pending{ID: id, Job: "late", At: now, Trigger: job.TriggerManual, CreatedAt: now})
	_, err = pend.Create(t.Context(), id, p)
	require.NoError(t, err)
	// The fault: the definition arrives after the run (the leader looks
	// at the run several times meanwhile).
	time.Sleep(time.Second)
	b.create(t, everyJob("late", time.Hour, job.OverlapAllow))
	natstest.Eventually(t, 10*time.Second, func() bool {
		for _, w := range b.works(t) {
			if w.ID == id {
				return true
			}
		}
		return false
	}, "the run is published once its job is known")
	require.Empty(t, b.events(t, event.Rejected))
}

// Two jobs with the same cron spec, one with an extra schedule item: the
// leader shares compiled cron schedules, and once shared the second job
// fired only at the first one's yearly slots.
func TestASharedCronKeepsEachJobsOwnItems(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.start(t, "s1", nil)
	yearly := job.Schedule{Cron: "0 0 1 1 *"}
	b.create(t, job.Spec{Name: "yearly", Schedule: yearly, Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}})
	also := yearly
	also.Schedules = []job.ScheduleItem{{Every: job.Duration(time.Second)}}
	b.create(t, job.Spec{Name: "also-every-second", Schedule: also, Overlap: job.OverlapAllow, Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}})
	natstest.Eventually(t, 15*time.Second, func() bool {
		for _, w := range b.works(t) {
			if w.Job == "also-every-second" {
				return true
			}
		}
		return false
	}, "the job with an extra item fires every second")
}
