package failure_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestNATSNodeKill kills (kill -9) a random NATS node again and again and
// starts it a few seconds later; R3 keeps a quorum throughout. Nothing is
// lost, and publishing stalls for at most 10 s per kill. The lease (10s)
// outlasts a NATS election, as production's must (a 3s lease is lost in
// most elections, and a failover adds to the stall).
func TestNATSNodeKill(t *testing.T) {
	jobs, every, kills, down := pick(10, 50), pick(15*time.Second, 30*time.Second), pick(2, 4), pick(4*time.Second, 10*time.Second)
	s := start(t, options{schedulers: 2, workers: 3, concurrency: pick(6, 16), lease: 10 * time.Second})
	w := watchPIDs(s.sink)
	defer w.close()
	s.createJobs("tick", jobs, time.Second, 10*time.Millisecond)
	from := time.Now().Add(time.Second)

	var victims []string
	for range kills {
		pace(every - down)
		p := s.nats[rand.IntN(len(s.nats))]
		victims = append(victims, p.name)
		p.signal(syscall.SIGKILL)
		require.True(t, p.wait(10*time.Second))
		pace(down)
		p.start()
	}
	pace(every - down)
	waitNATS(t, s.url())
	s.stopFiring()
	r := s.check(fmt.Sprintf("a NATS node kill -9 every %s (%d kills, each down %s), %d jobs every 1s", every, kills, down, jobs), from, w)
	evs := s.events()
	stall := maxFireGap(evs)
	r.figure("nodes killed", "%v", victims)
	r.figure("longest time without a fire (publish stall)", "%s (limit 15s)", stall.Round(time.Millisecond))
	r.figure("dispatch lateness", "%s", latenessFigure(evs))
	r.require(t)
	// The lease, plus a leader loop started again reading the streams' tail
	// (scheduler/recover.go) while a stream may still elect its leader.
	require.LessOrEqual(t, stall, 15*time.Second)
}

// maxFireGap is the longest time between two consecutive fires.
func maxFireGap(evs []event.Event) time.Duration {
	var times []time.Time
	for _, e := range evs {
		if e.Kind == event.Scheduled {
			times = append(times, e.Time)
		}
	}
	var gap time.Duration
	for i := 1; i < len(times); i++ {
		gap = max(gap, times[i].Sub(times[i-1]))
	}
	return gap
}

// TestQuorumLoss takes two of the three NATS nodes down (kill -9): no
// write can be acknowledged, the leader steps down within its lease, and
// after the nodes return the missed slots are caught up (catch-up window
// 5 minutes, policy all) with no duplicate and no execution accepted
// without an acknowledgement.
func TestQuorumLoss(t *testing.T) {
	jobs, outage := pick(10, 20), pick(10*time.Second, 30*time.Second)
	s := start(t, options{schedulers: 2, workers: 3, concurrency: 6})
	w := watchPIDs(s.sink)
	defer w.close()
	s.createJobs("tick", jobs, time.Second, 10*time.Millisecond)
	from := time.Now().Add(time.Second)
	pace(pick(5*time.Second, 15*time.Second))

	ldr, _ := s.leaderProc()
	require.NotNil(t, ldr)
	down := []*proc{s.nats[0], s.nats[1]}
	downAt := time.Now()
	for _, p := range down {
		p.signal(syscall.SIGKILL)
	}
	for _, p := range down {
		require.True(t, p.wait(10*time.Second))
	}
	pace(outage)
	upAt := time.Now()
	for _, p := range down {
		p.start()
	}
	waitNATS(t, s.url())
	var resumed time.Time
	natstest.Eventually(t, 60*time.Second, func() bool {
		for _, e := range s.events() {
			if e.Kind == event.Scheduled && e.Time.After(upAt) {
				resumed = e.Time
				return true
			}
		}
		return false
	}, "firing resumes after the nodes return")
	pace(pick(8*time.Second, 20*time.Second))
	s.stopFiring()
	r := s.check(fmt.Sprintf("two of three NATS nodes down (kill -9) for %s, %d jobs every 1s", outage, jobs), from, w)

	evs := s.events()
	during, caughtUp := 0, 0
	for _, e := range evs {
		if e.Kind != event.Scheduled {
			continue
		}
		if e.Time.After(downAt.Add(time.Second)) && e.Time.Before(upAt) {
			during++
			r.problem("%s was accepted while two nodes were down", e.Execution)
		}
		if e.ScheduledAt != nil && e.ScheduledAt.After(downAt) && e.ScheduledAt.Before(upAt) && e.Time.After(upAt) {
			caughtUp++
		}
	}
	stepped, ok := logTime(ldr.output(), "lost leadership", downAt)
	if loop, ok2 := logTime(ldr.output(), "leader loop stopped; stepping down", downAt); ok2 && (!ok || loop.Before(stepped)) {
		stepped, ok = loop, true // it failed to write before it failed to renew
	}
	require.True(t, ok, "the leader steps down while it cannot renew its lease:\n%s", ldr.tail(4000))
	r.figure("fires accepted during the outage", "%d", during)
	r.figure("leader stepped down after the outage began", "%s (lease %s)", stepped.Sub(downAt).Round(time.Millisecond), lease)
	r.figure("first fire after the nodes returned", "%s", resumed.Sub(upAt).Round(time.Millisecond))
	r.figure("slots of the outage caught up after it", "%d", caughtUp)
	r.require(t)
	require.Zero(t, during)
	require.LessOrEqual(t, stepped.Sub(downAt), lease+time.Second)
	require.Positive(t, caughtUp)
}

// TestRepublishedWorkRunsOnce takes a slot that ran and was acked, and
// publishes its work item again: with the same message ID within the
// duplicate window (the stream drops it), as a second copy without an ID
// (a worker receives it; its claim says another message owns the
// execution, so it does not run), and with the same ID after a full NATS
// restart, which forgets the IDs of acked work-queue messages (delivered;
// the claim refuses it). The slot runs once.
func TestRepublishedWorkRunsOnce(t *testing.T) {
	s := start(t, options{schedulers: 1, workers: 2, concurrency: 4})
	w := watchPIDs(s.sink)
	defer w.close()
	s.createJobs("replay", 1, time.Second, 10*time.Millisecond)
	from := time.Now().Add(time.Second)
	var id string
	natstest.Eventually(t, 30*time.Second, func() bool {
		for _, e := range s.events() {
			if e.Kind == event.Succeeded && e.Job == "replay0" {
				id = e.Execution
				return true
			}
		}
		return false
	}, "a slot runs")
	pace(2 * time.Second)
	s.stopFiring()
	s.quiesce(w, 30*time.Second)

	_, slot, err := job.ParseExecutionID(id)
	require.NoError(t, err)
	ctx := t.Context()
	v, err := s.client.GetJob(ctx, "replay0")
	require.NoError(t, err)
	wk := job.Work{V: job.WorkVersion, ID: id, Job: "replay0", ScheduledAt: slot, Trigger: job.TriggerSchedule, Spec: v.Spec, Revision: v.Revision}
	data, err := json.Marshal(wk)
	require.NoError(t, err)
	subject := s.names.WorkSubject(v.Spec.Queue, wk.Job, id, false)
	publish := func(msgID string) *jetstream.PubAck {
		m := nats.NewMsg(subject)
		m.Data = data
		if msgID != "" {
			m.Header.Set(jetstream.MsgIDHeader, msgID)
		}
		var ack *jetstream.PubAck
		natstest.Eventually(t, 30*time.Second, func() bool {
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			var err error
			ack, err = s.js.PublishMsg(pctx, m)
			return err == nil
		}, "publish the copy")
		return ack
	}
	duplicates := func() float64 {
		var n float64
		for i, a := range s.wHealth {
			if s.workers[i].running() {
				n += metrics(t, a)["jetcron_worker_duplicates_total"]
			}
		}
		return n
	}

	// Within the window, with its ID: the stream drops it.
	require.True(t, publish(id).Duplicate, "the stream knows the ID within its window")

	// A second copy without an ID: delivered, refused by the claim.
	publish("")
	natstest.Eventually(t, 30*time.Second, func() bool { n, err := s.workPending(); return err == nil && n == 0 && duplicates() == 1 },
		"a worker drops the copy")

	// A full NATS restart: the stream forgets the IDs of acked messages.
	for _, p := range s.nats {
		p.signal(syscall.SIGTERM)
	}
	for _, p := range s.nats {
		require.True(t, p.wait(30*time.Second))
	}
	for _, p := range s.nats {
		p.start()
	}
	waitNATS(t, s.url())
	ack := publish(id)
	require.False(t, ack.Duplicate, "after a restart the acked message's ID is forgotten (nats-server#3272)")
	natstest.Eventually(t, 60*time.Second, func() bool { n, err := s.workPending(); return err == nil && n == 0 && duplicates() == 2 },
		"a worker drops the copy after the restart")

	r := s.check("a slot's work re-published after its ack: same ID, no ID, same ID after a full NATS restart", from, w)
	runs := 0
	for _, x := range runsOf(mustSink(t, s.sink), w) {
		if x.exec == id {
			runs++
		}
	}
	evs := s.execEvents(id)
	r.figure("runs of the re-published slot", "%d (events %v)", runs, eventKinds(evs))
	r.figure("copies dropped by the workers' claims", "%.0f", duplicates())
	r.require(t)
	require.Equal(t, 1, runs)
	require.Len(t, finals(evs), 1)
}
