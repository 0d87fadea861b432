package scheduler_test

import (
	"encoding/json"
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

// TestTakeoverWithDelayedRunKeepsFiring is the restart wedge: a leader that
// took over state holding a delayed run (overlap delay, waiting for its
// job's running execution) computed no wake-up time at all and fired
// nothing for any job until something else woke it. Every piece of state a
// new leader loads must give the loop a time to act.
func TestTakeoverWithDelayedRunKeepsFiring(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s1 := b.start(t, "first", nil)
	natstest.Eventually(t, 10*time.Second, s1.Leading)
	b.create(t, everyJob("slow", time.Hour, job.OverlapDelay))
	b.create(t, everyJob("cu", time.Second, job.OverlapAllow))
	natstest.Eventually(t, 10*time.Second, func() bool { return countJob(b.works(t), "cu") >= 2 }, "cu fires")
	require.NoError(t, s1.Stop(t.Context()))

	// What the stopped leader left: slow's next slot waiting for its
	// running execution.
	kv, err := b.js.KeyValue(t.Context(), b.topo.Names().StateBucket())
	require.NoError(t, err)
	slot := time.Now().UTC().Truncate(time.Second)
	var rt job.Runtime
	rt.Buffered = &job.Pending{ID: job.ExecutionID("slow", slot), Job: "slow", At: slot, Slot: slot, Trigger: job.TriggerSchedule}
	data, err := json.Marshal(rt)
	require.NoError(t, err)
	_, err = kv.Put(t.Context(), "slow", data)
	require.NoError(t, err)

	before := countJob(b.works(t), "cu")
	s2 := b.start(t, "second", nil)
	natstest.Eventually(t, 10*time.Second, s2.Leading, "the second replica leads")
	natstest.Eventually(t, 10*time.Second, func() bool { return countJob(b.works(t), "cu") >= before+2 }, "cu fires after the takeover")
	natstest.Eventually(t, 10*time.Second, func() bool {
		for _, w := range b.works(t) {
			if w.ID == rt.Buffered.ID {
				return true
			}
		}
		return false
	}, "the delayed run is published (slow is not running)")
}

func countJob(ws []job.Work, name string) int {
	n := 0
	for _, w := range ws {
		if w.Job == name {
			n++
		}
	}
	return n
}

// rewriteState changes a job's runtime state in the state bucket as a
// leader that stopped before writing its last second would have left it.
func (b *bundle) rewriteState(t *testing.T, name string, change func(*job.Runtime)) {
	t.Helper()
	kv, err := b.js.KeyValue(t.Context(), b.topo.Names().StateBucket())
	require.NoError(t, err)
	ent, err := kv.Get(t.Context(), name)
	require.NoError(t, err)
	var rt job.Runtime
	require.NoError(t, json.Unmarshal(ent.Value(), &rt))
	change(&rt)
	data, err := json.Marshal(rt)
	require.NoError(t, err)
	_, err = kv.Update(t.Context(), name, data, ent.Revision())
	require.NoError(t, err)
}

// TestTakeoverDoesNotRecordMissedWhatRan: a new leader whose state lags
// the previous leader's last fires (cursors are written about once a
// second) used to decide those slots again, and with catch-up policy
// "latest" recorded slots that had run as missed. It reads the tail of the
// streams first.
func TestTakeoverDoesNotRecordMissedWhatRan(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s1 := b.start(t, "first", nil)
	natstest.Eventually(t, 10*time.Second, s1.Leading)
	spec := everyJob("lat", time.Second, job.OverlapAllow)
	spec.CatchUp = job.CatchUp{Window: job.Duration(time.Second), Policy: job.CatchUpLatest}
	b.create(t, spec)
	natstest.Eventually(t, 10*time.Second, func() bool { return countJob(b.works(t), "lat") >= 4 }, "lat fires")
	require.NoError(t, s1.Stop(t.Context()))
	b.rewriteState(t, "lat", func(rt *job.Runtime) { rt.LastSlot = rt.LastSlot.Add(-3 * time.Second) })
	time.Sleep(2 * time.Second) // the fault: the slots after the written cursor are older than the window
	s2 := b.start(t, "second", nil)
	natstest.Eventually(t, 10*time.Second, s2.Leading)
	before := countJob(b.works(t), "lat")
	natstest.Eventually(t, 10*time.Second, func() bool { return countJob(b.works(t), "lat") >= before+2 }, "lat fires again")
	ran := map[string]bool{}
	for _, w := range b.works(t) {
		ran[w.ID] = true
	}
	for _, e := range b.events(t, event.Missed) {
		require.False(t, ran[e.Execution], "%s ran and was recorded missed", e.Execution)
	}
}

// TestDisabledDuringOutageIsAccounted: a job disabled while no leader ran
// dropped out of the plan with the slots of the outage in no record; one
// disabled and enabled again, given a new schedule or deleted meanwhile
// owed nothing before that.
// The slots it owed until it was disabled are recorded missed, with the
// reason.
func TestDisabledDuringOutageIsAccounted(t *testing.T) {
	t.Parallel()
	for _, change := range []string{"Disabled", "EnabledAgain", "Rescheduled", "Deleted"} {
		t.Run(change, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			s1 := b.start(t, "first", nil)
			natstest.Eventually(t, 10*time.Second, s1.Leading)
			b.create(t, everyJob("paused", time.Second, job.OverlapAllow))
			natstest.Eventually(t, 10*time.Second, func() bool { return countJob(b.works(t), "paused") >= 2 }, "paused fires")
			require.NoError(t, s1.Stop(t.Context()))
			time.Sleep(3 * time.Second) // the outage: three slots pass
			kv, err := b.js.KeyValue(t.Context(), b.topo.Names().JobsBucket())
			require.NoError(t, err)
			ent, err := kv.Get(t.Context(), "paused")
			require.NoError(t, err)
			var spec job.Spec
			require.NoError(t, json.Unmarshal(ent.Value(), &spec))
			// What the API writes for a disable (and an enable), as it
			// would with no leader running.
			now := time.Now().UTC()
			reason := "disabled"
			switch change {
			case "Disabled":
				spec.Disabled, spec.DisabledReason, spec.DisabledAt, spec.UpdatedAt = true, "outage", now, now
			case "EnabledAgain":
				spec.DisabledAt, spec.EnabledAt, spec.UpdatedAt = now, now.Add(time.Second), now.Add(time.Second)
			case "Rescheduled": // a new schedule owes nothing before it
				spec.Schedule.Every, spec.EnabledAt, spec.UpdatedAt = job.Duration(7*time.Second), now, now
				reason = "schedule changed"
			case "Deleted":
				reason = "deleted"
			}
			data, err := json.Marshal(spec)
			require.NoError(t, err)
			if change == "Deleted" {
				require.NoError(t, kv.Delete(t.Context(), "paused"))
			} else {
				_, err = kv.Update(t.Context(), "paused", data, ent.Revision())
				require.NoError(t, err)
			}

			s2 := b.start(t, "second", nil)
			natstest.Eventually(t, 10*time.Second, s2.Leading)
			var last time.Time
			for _, w := range b.works(t) {
				if w.Job == "paused" && w.ScheduledAt.After(last) && w.ScheduledAt.Before(now) {
					last = w.ScheduledAt
				}
			}
			natstest.Eventually(t, 10*time.Second, func() bool {
				n := 0
				for _, e := range b.events(t, event.Missed) {
					if e.Job == "paused" && e.ScheduledAt.After(last) && strings.Contains(e.Reason, reason) {
						n++
					}
				}
				return n >= 2
			}, "the slots of the outage are recorded missed")
		})
	}
}

// TestTakeoverRecountsCompletions: a leader that stopped before writing its
// fire count made the next one fire more than the job's completions.
func TestTakeoverRecountsCompletions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s1 := b.start(t, "first", nil)
	natstest.Eventually(t, 10*time.Second, s1.Leading)
	spec := everyJob("five", time.Second, job.OverlapAllow)
	spec.Completions = 5
	b.create(t, spec)
	natstest.Eventually(t, 10*time.Second, func() bool { return countJob(b.works(t), "five") >= 2 }, "five fires")
	require.NoError(t, s1.Stop(t.Context()))
	b.rewriteState(t, "five", func(rt *job.Runtime) { rt.Fired = 0 })
	s2 := b.start(t, "second", nil)
	natstest.Eventually(t, 10*time.Second, s2.Leading)
	natstest.Eventually(t, 15*time.Second, func() bool { return len(b.events(t, event.JobCompleted)) > 0 }, "five completes")
	require.Equal(t, 5, countJob(b.works(t), "five"), "five fires five times")
}

// TestDeletedJobsDelayedRunIsSkipped: deleting a job whose next slot waited
// for its running execution (overlap delay) dropped the delayed run with
// no record; it stayed "delayed" for ever (chaos seed 32722097).
func TestDeletedJobsDelayedRunIsSkipped(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.start(t, "s", nil)
	natstest.Eventually(t, 10*time.Second, s.Leading)
	b.create(t, everyJob("gone", time.Second, job.OverlapDelay)) // no worker: its first slot stays running
	var delayed string
	natstest.Eventually(t, 10*time.Second, func() bool {
		for _, e := range b.events(t, event.Delayed) {
			if e.Job == "gone" {
				delayed = e.Execution
				return true
			}
		}
		return false
	}, "a slot of gone waits")
	require.NoError(t, api.Call(t.Context(), b.nc, b.topo.Names(), api.VerbJobDelete, api.NameRequest{Name: "gone"}, nil))
	natstest.Eventually(t, 10*time.Second, func() bool { return b.hasEvent(t, event.Skipped, delayed) }, "the delayed run is recorded skipped")
}

// TestCompletionsCountDelayedSlots: a slot delayed before the job reached
// its completions (a delayed slot counts when it runs) ran after the
// completion, one fire too many (chaos seed 3392555144). It is recorded
// skipped.
func TestCompletionsCountDelayedSlots(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.start(t, "s", nil)
	natstest.Eventually(t, 10*time.Second, s.Leading)
	spec := everyJob("two", time.Second, job.OverlapDelay) // no worker: the test ends each execution
	spec.Completions = 2
	b.create(t, spec)
	stream, err := b.js.Stream(t.Context(), b.topo.Names().WorkStream())
	require.NoError(t, err)
	// end removes the job's execution from the work stream, as a worker
	// that finished it would.
	end := func() {
		for _, m := range b.workMsgs(t) {
			_ = stream.DeleteMsg(t.Context(), m.Seq)
		}
	}
	delayed := func() int { return len(b.eventsOf(t, "two", event.Delayed)) }
	defer func() {
		if t.Failed() { // what the leader did, for a run that cannot be repeated
			for _, kind := range []event.Kind{event.Scheduled, event.Delayed, event.Skipped, event.JobCompleted} {
				for _, e := range b.eventsOf(t, "two", kind) {
					t.Logf("%s %s %s %s", e.Time.Format("15:04:05.000"), e.Kind, e.Execution, e.Reason)
				}
			}
		}
	}()
	natstest.Eventually(t, 10*time.Second, func() bool { return delayed() >= 1 }, "a slot waits")
	end()
	// The next slot waits behind the second fire, or, when the second fire
	// was published before it came due (the delayed run is retried every
	// second), it is recorded skipped: the job has its completions. Or the
	// delayed run went alone in a round of its own, between two slots, and
	// the job completed with it.
	natstest.Eventually(t, 10*time.Second, func() bool {
		return delayed() >= 2 || len(b.eventsOf(t, "two", event.Skipped)) > 0 || len(b.eventsOf(t, "two", event.JobCompleted)) > 0
	}, "the next slot waits behind the second fire, or is skipped, or two completes")
	end()
	natstest.Eventually(t, 10*time.Second, func() bool { return len(b.eventsOf(t, "two", event.JobCompleted)) > 0 }, "two completes")
	time.Sleep(2 * time.Second) // the fault would be a third fire now
	require.Len(t, b.eventsOf(t, "two", event.Scheduled), 2, "two fires twice")
}

// hasEvent reports whether execution id has an event of kind.
func (b *bundle) hasEvent(t *testing.T, kind event.Kind, id string) bool {
	for _, e := range b.events(t, kind) {
		if e.Execution == id {
			return true
		}
	}
	return false
}

func (b *bundle) eventsOf(t *testing.T, name string, kind event.Kind) []event.Event {
	var out []event.Event
	for _, e := range b.events(t, kind) {
		if e.Job == name {
			out = append(out, e)
		}
	}
	return out
}

func (b *bundle) workMsgs(t *testing.T) []streamio.Msg {
	msgs, err := streamio.DirectBatch(t.Context(), b.nc, streamio.DirectRequest{Stream: b.topo.Names().WorkStream(), Filter: b.topo.Names().WorkSubjects(), Batch: 1000})
	require.NoError(t, err)
	return msgs
}

// TestTakeoverDoesNotRepublishAPublishedRun: a leader that stopped after
// publishing a manual or enqueued run and before removing its pending key
// left the run for the next leader, which published it again: with the
// job busy, a run that had happened was also recorded skipped (chaos seed
// 3101984860). The next leader removes such a key.
func TestTakeoverDoesNotRepublishAPublishedRun(t *testing.T) {
	t.Parallel()
	// A second publish within the duplicate window is dropped by the broker
	// whatever the leader does; the fault is one after it.
	srv := natstest.RunJetStream(t)
	nc := natstest.Connect(t, srv)
	b := &bundle{srv: srv, nc: nc, js: natstest.JetStream(t, nc), topo: natstest.Topology(t)}
	b.topo.DuplicateWindow = time.Second
	natstest.Ensure(t, b.js, b.topo)
	s1 := b.start(t, "first", nil)
	natstest.Eventually(t, 10*time.Second, s1.Leading)
	b.create(t, everyJob("busy", 24*time.Hour, job.OverlapSkip)) // no worker: a run stays on the work stream
	var resp api.RunResponse
	require.NoError(t, api.Call(t.Context(), b.nc, b.topo.Names(), api.VerbJobEnqueue, api.EnqueueRequest{Name: "busy", At: time.Now()}, &resp))
	natstest.Eventually(t, 10*time.Second, func() bool { return len(b.eventsOf(t, "busy", event.Scheduled)) == 1 }, "the run is published")
	require.NoError(t, s1.Stop(t.Context()))
	// What a leader that stopped before removing the key leaves.
	pend, err := b.js.KeyValue(t.Context(), b.topo.Names().PendingBucket())
	require.NoError(t, err)
	now := time.Now().UTC()
	data, err := json.Marshal(job.Pending{ID: resp.ExecutionID, Job: "busy", At: now, Trigger: job.TriggerEnqueue, CreatedAt: now})
	require.NoError(t, err)
	_, err = pend.Put(t.Context(), resp.ExecutionID, data)
	require.NoError(t, err)
	time.Sleep(2 * time.Second) // past the duplicate window

	s2 := b.start(t, "second", nil)
	natstest.Eventually(t, 10*time.Second, s2.Leading)
	natstest.Eventually(t, 10*time.Second, func() bool {
		_, err := pend.Get(t.Context(), resp.ExecutionID)
		return err != nil
	}, "the key is removed")
	require.Empty(t, b.eventsOf(t, "busy", event.Skipped), "the run is not recorded a second time")
}

// TestTakeoverOfAJobDeletedWithoutALeader: a job deleted while no leader
// ran has the slots it owed until the deletion recorded missed by the
// next leader, from its stored cursor. A slot the previous leader fired
// after its last cursor write ran, and was recorded missed too: two ends
// (chaos seed 3936468594, `[scheduled started succeeded missed]`). The
// tail of the streams moves the cursor first, as for a job that exists.
func TestTakeoverOfAJobDeletedWithoutALeader(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s1 := b.start(t, "first", nil)
	natstest.Eventually(t, 10*time.Second, s1.Leading)
	b.create(t, everyJob("gone", time.Second, job.OverlapAllow))
	natstest.Eventually(t, 10*time.Second, func() bool { return len(b.eventsOf(t, "gone", event.Scheduled)) >= 3 }, "gone fires")
	require.NoError(t, s1.Stop(t.Context()))
	fired := b.eventsOf(t, "gone", event.Scheduled)
	last := *fired[len(fired)-1].ScheduledAt
	// The state as a leader that stopped before writing its last seconds
	// left it; then the job is deleted with no leader running.
	b.rewriteState(t, "gone", func(rt *job.Runtime) { rt.LastSlot = last.Add(-2 * time.Second) })
	jobs, err := b.js.KeyValue(t.Context(), b.topo.Names().JobsBucket())
	require.NoError(t, err)
	require.NoError(t, jobs.Delete(t.Context(), "gone"))

	s2 := b.start(t, "second", nil)
	natstest.Eventually(t, 10*time.Second, s2.Leading)
	state, err := b.js.KeyValue(t.Context(), b.topo.Names().StateBucket())
	require.NoError(t, err)
	natstest.Eventually(t, 10*time.Second, func() bool {
		_, err := state.Get(t.Context(), "gone")
		return err != nil
	}, "the deleted job's state goes once its slots are accounted for")
	for _, e := range b.eventsOf(t, "gone", event.Missed) {
		first, upto := *e.ScheduledAt, *e.ScheduledAt
		if e.Last != nil {
			upto = *e.Last
		}
		require.True(t, first.After(last), "a slot that ran is not recorded missed: missed %s..%s, last fired %s", first, upto, last)
	}
}
