package scheduler_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// keyed returns the work items on the stream of the jobs named.
func keyed(ws []job.Work, names ...string) []job.Work {
	var out []job.Work
	for _, w := range ws {
		if slices.Contains(names, w.Job) {
			out = append(out, w)
		}
	}
	return out
}

// stays checks for d that cond holds all along.
func stays(t *testing.T, d time.Duration, cond func() bool, msg string) {
	t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		require.True(t, cond(), msg)
		time.Sleep(100 * time.Millisecond)
	}
}

// end finishes an execution as a worker would: its final event, then its
// work message goes (the ack). Without the event it is a worker that died
// and whose message ran out of deliveries, as the leader sees it.
func (b *bundle) end(t *testing.T, w job.Work, withEvent bool) {
	t.Helper()
	if withEvent {
		_, err := event.NewPublisher(b.js, b.topo.Names()).Publish(t.Context(), event.Event{Kind: event.Succeeded, Job: w.Job, Execution: w.ID, Time: time.Now(), Attempt: 1})
		require.NoError(t, err)
	}
	msgs, err := streamio.DirectBatch(t.Context(), b.nc, streamio.DirectRequest{Stream: b.topo.Names().WorkStream(), Filter: b.topo.Names().WorkSubjects(), Batch: 10000})
	require.NoError(t, err)
	stream, err := b.js.Stream(t.Context(), b.topo.Names().WorkStream())
	require.NoError(t, err)
	for _, m := range msgs {
		if m.Header.Get("Nats-Msg-Id") == w.ID {
			require.NoError(t, stream.DeleteMsg(t.Context(), m.Seq))
			return
		}
	}
	t.Fatalf("%s is not on the work stream", w.ID)
}

func delayedOf(b *bundle, t *testing.T, names ...string) []event.Event {
	var out []event.Event
	for _, e := range b.events(t, event.Delayed) {
		if slices.Contains(names, e.Job) {
			out = append(out, e)
		}
	}
	return out
}

// TestConcurrencyKeyAcrossJobsAndTakeover: two jobs sharing key maint:1
// never have two executions on the work stream (no worker runs them, so
// each stays until the test ends it); the waiting one is delayed naming
// the key; a new leader keeps the cap from the work stream and the
// waiting run from the state; ending the holder starts the waiting run,
// and so does a holder whose message goes without a final event (a dead
// worker's run given up on).
func TestConcurrencyKeyAcrossJobsAndTakeover(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s1 := b.start(t, "first", nil)
	natstest.Eventually(t, 10*time.Second, s1.Leading)
	for _, name := range []string{"backup", "vacuum"} {
		spec := everyJob(name, time.Second, job.OverlapAllow)
		spec.ConcurrencyKey = "maint"
		b.create(t, spec)
	}
	natstest.Eventually(t, 10*time.Second, func() bool { return len(delayedOf(b, t, "backup", "vacuum")) >= 1 }, "one waits")
	d := delayedOf(b, t, "backup", "vacuum")[0]
	require.Equal(t, "waiting for concurrency key maint (1 of 1 running)", d.Reason)
	stays(t, 2*time.Second, func() bool { return len(keyed(b.works(t), "backup", "vacuum")) == 1 }, "at most one of maint at once")
	holder := keyed(b.works(t), "backup", "vacuum")[0]
	require.NotEqual(t, d.Job, holder.Job, "the other job waits")

	// A new leader: the cap holds (rebuilt from the work stream), the
	// waiting run is kept.
	require.NoError(t, s1.Stop(t.Context()))
	s2 := b.start(t, "second", nil)
	natstest.Eventually(t, 10*time.Second, s2.Leading)
	stays(t, 3*time.Second, func() bool { return len(keyed(b.works(t), "backup", "vacuum")) == 1 }, "at most one of maint after the takeover")

	// The holder ends: the run that waited starts (it is the oldest).
	b.end(t, holder, true)
	natstest.Eventually(t, 10*time.Second, func() bool {
		ws := keyed(b.works(t), "backup", "vacuum")
		return len(ws) == 1 && ws[0].ID == d.Execution
	}, "the delayed run %s starts when the key frees", d.Execution)
	stays(t, time.Second, func() bool { return len(keyed(b.works(t), "backup", "vacuum")) == 1 }, "still one")

	// Its run's message goes without a final event: the leader finds the
	// holder gone on the work stream and lets the next one start.
	next := keyed(b.works(t), "backup", "vacuum")[0]
	b.end(t, next, false)
	natstest.Eventually(t, 30*time.Second, func() bool {
		ws := keyed(b.works(t), "backup", "vacuum")
		return len(ws) == 1 && ws[0].ID != next.ID
	}, "a holder whose message is gone frees the key")
	for _, e := range b.events(t, event.Skipped) {
		if e.Job == "backup" || e.Job == "vacuum" {
			require.Contains(t, e.Reason, "waiting for concurrency key maint", "a slot skipped while one waits names the key")
		}
	}
}

// TestConcurrencyKeyLimitN: five jobs sharing wh:3 have three executions
// on the work stream at once; the other two are delayed.
func TestConcurrencyKeyLimitN(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.start(t, "only", nil)
	natstest.Eventually(t, 10*time.Second, s.Leading)
	names := []string{"ex1", "ex2", "ex3", "ex4", "ex5"}
	for _, name := range names {
		spec := everyJob(name, time.Second, job.OverlapDelay)
		spec.ConcurrencyKey = "wh:3"
		b.create(t, spec)
	}
	waiting := func() bool {
		jobs := map[string]bool{}
		for _, e := range delayedOf(b, t, names...) {
			if strings.HasPrefix(e.Reason, "waiting for concurrency key wh (3 of 3 running)") {
				jobs[e.Job] = true
			}
		}
		// At least the two jobs beyond the cap. When the five first fire
		// in different rounds, the three holders' next slots wait on the
		// key too: the gates are checked before a job's own overlap.
		return len(jobs) >= 2
	}
	natstest.Eventually(t, 10*time.Second, waiting, "two jobs wait for wh")
	stays(t, 2*time.Second, func() bool { return len(keyed(b.works(t), names...)) == 3 }, "three of wh at once")
}

// TestQueueMaxRunning: a queue's cap counts every execution of the queue.
func TestQueueMaxRunning(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.start(t, "only", nil)
	natstest.Eventually(t, 10*time.Second, s.Leading)
	var qs job.QueueSettings
	err := api.Call(t.Context(), b.nc, b.topo.Names(), api.VerbQueueSet, job.QueueSettings{Queue: "capped", MaxRunning: -1}, &qs)
	require.ErrorIs(t, err, job.ErrInvalid)
	require.ErrorContains(t, err, "max_running")
	require.NoError(t, api.Call(t.Context(), b.nc, b.topo.Names(), api.VerbQueueSet, job.QueueSettings{Queue: "capped", MaxRunning: 2}, &qs))
	names := []string{"q1", "q2", "q3"}
	for _, name := range names {
		spec := everyJob(name, time.Second, job.OverlapAllow)
		spec.Queue = "capped"
		b.create(t, spec)
	}
	natstest.Eventually(t, 10*time.Second, func() bool {
		for _, e := range delayedOf(b, t, names...) {
			if strings.HasPrefix(e.Reason, "waiting for queue capped's max running (2 of 2 running)") {
				return true
			}
		}
		return false
	}, "a run waits for the queue's cap")
	stays(t, 2*time.Second, func() bool { return len(keyed(b.works(t), names...)) == 2 }, "two of the queue at once")
}

// TestConcurrencyKeyBadInput: a malformed key or N <= 0 is refused naming
// the field, and nothing is stored.
func TestConcurrencyKeyBadInput(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.start(t, "only", nil)
	natstest.Eventually(t, 10*time.Second, s.Leading)
	for _, key := range []string{"backup:0", "backup:-1", "back up", "backup:x", ":3", "a.b:2"} {
		spec := everyJob("bad", time.Second, job.OverlapDelay)
		spec.ConcurrencyKey = key
		var resp api.CreateResponse
		err := api.Call(t.Context(), b.nc, b.topo.Names(), api.VerbJobCreate, api.CreateRequest{Spec: spec}, &resp)
		require.ErrorIs(t, err, job.ErrInvalid, key)
		require.ErrorContains(t, err, "concurrency_key", key)
	}
	var v api.JobView
	require.ErrorIs(t, api.Call(t.Context(), b.nc, b.topo.Names(), api.VerbJobGet, api.NameRequest{Name: "bad"}, &v), job.ErrNotFound)
}

// TestConcurrencyKeyWaitingRunFromTheTail: a leader that stopped before it
// wrote the run waiting for a key into the state (it writes about once a
// second) left only its delayed event: the next leader takes the run from
// the tail of the events, keeps it waiting while the key is held, and
// starts it when the key frees.
func TestConcurrencyKeyWaitingRunFromTheTail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s1 := b.start(t, "first", nil)
	natstest.Eventually(t, 10*time.Second, s1.Leading)
	for _, name := range []string{"load", "compact"} {
		spec := everyJob(name, time.Hour, job.OverlapSkip) // one slot each: the next is an hour away
		spec.ConcurrencyKey = "disk"
		b.create(t, spec)
	}
	var ran api.RunResponse
	require.NoError(t, api.Call(t.Context(), b.nc, b.topo.Names(), api.VerbJobRun, api.RunRequest{Name: "load"}, &ran))
	natstest.Eventually(t, 10*time.Second, func() bool { return len(keyed(b.works(t), "load")) == 1 }, "load runs")
	require.NoError(t, api.Call(t.Context(), b.nc, b.topo.Names(), api.VerbJobRun, api.RunRequest{Name: "compact"}, &ran))
	natstest.Eventually(t, 10*time.Second, func() bool { return len(delayedOf(b, t, "compact")) == 1 }, "compact waits")
	waiting := delayedOf(b, t, "compact")[0]
	require.NoError(t, s1.Stop(t.Context()))
	b.rewriteState(t, "compact", func(rt *job.Runtime) { rt.Buffered = nil }) // as if never written

	s2 := b.start(t, "second", nil)
	natstest.Eventually(t, 10*time.Second, s2.Leading)
	stays(t, 2*time.Second, func() bool { return len(keyed(b.works(t), "load", "compact")) == 1 }, "compact still waits")
	b.end(t, keyed(b.works(t), "load")[0], true)
	natstest.Eventually(t, 10*time.Second, func() bool {
		ws := keyed(b.works(t), "load", "compact")
		return len(ws) == 1 && ws[0].ID == waiting.Execution
	}, "the waiting run %s starts when the key frees", waiting.Execution)
}
