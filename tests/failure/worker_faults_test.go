package failure_test

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// adhocJob is a probe job that only runs when asked (its one scheduled
// instant is far away).
func (s *system) adhocJob(name string, d time.Duration, child bool) {
	s.t.Helper()
	spec := s.probeJob(name, time.Hour, d, child)
	at := time.Now().Add(300 * 24 * time.Hour).UTC().Truncate(time.Second)
	spec.Schedule = job.Schedule{At: &at}
	s.create(spec, d, false)
}

// runNow runs a job now and returns the execution ID.
func (s *system) runNow(name string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.t.Context(), 30*time.Second)
	defer cancel()
	resp, err := s.client.RunJob(ctx, name, nil, false)
	require.NoError(s.t, err)
	return resp.ExecutionID
}

// started waits for the probe of execution id, attempt, to start and
// returns its record.
func (s *system) started(id string, attempt int, d time.Duration) record {
	s.t.Helper()
	var found record
	natstest.Eventually(s.t, d, func() bool {
		recs, err := readSink(s.sink)
		if err != nil {
			return false
		}
		for _, r := range recs {
			if r.Ev == "start" && r.Execution == id && r.Attempt == attempt {
				found = r
				return true
			}
		}
		return false
	}, "%s attempt %d starts", id, attempt)
	return found
}

// execEvents returns the events of one execution.
func (s *system) execEvents(id string) []event.Event {
	var out []event.Event
	for _, e := range s.events() {
		if e.Execution == id {
			out = append(out, e)
		}
	}
	return out
}

// waitEvent waits until execution id has an event of kind.
func (s *system) waitEvent(id string, kind event.Kind, d time.Duration) event.Event {
	s.t.Helper()
	var found event.Event
	natstest.Eventually(s.t, d, func() bool {
		for _, e := range s.execEvents(id) {
			if e.Kind == kind {
				found = e
				return true
			}
		}
		return false
	}, "%s records %s", id, kind)
	return found
}

func count(evs []event.Event, kind event.Kind) int {
	n := 0
	for _, e := range evs {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// TestWorkerKillMidRun kills (kill -9) the worker running a long script
// that has a child process: the script's whole process tree is dead within
// a second, another worker runs attempt 2 within the ack wait + 1s, the
// execution records both attempts — while other jobs keep firing.
func TestWorkerKillMidRun(t *testing.T) {
	d, after := pick(15*time.Second, 60*time.Second), pick(2*time.Second, 20*time.Second)
	s := start(t, options{schedulers: 2, workers: 3, concurrency: 4})
	w := watchPIDs(s.sink)
	defer w.close()
	s.createJobs("tick", 5, time.Second, 10*time.Millisecond)
	s.adhocJob("long", d, true)
	from := time.Now().Add(time.Second)

	id := s.runNow("long")
	first := s.started(id, 1, 30*time.Second)
	require.NotZero(t, first.Child, "the probe started a child")
	pace(time.Until(time.Unix(0, first.Time).Add(after)))
	victim := s.workerOf(first.Worker)
	require.NotNil(t, victim)
	require.Equal(t, victim.pid(), first.WorkerPID, "the probe runs under the worker process")
	killedAt := time.Now()
	victim.signal(syscall.SIGKILL)
	require.True(t, victim.wait(10*time.Second))

	second := s.started(id, 2, ackWait+10*time.Second)
	pace(time.Second) // the supervisor restarts the worker within a second
	victim.start()
	final := s.waitEvent(id, event.Succeeded, d+30*time.Second)
	pace(2 * time.Second)
	s.stopFiring()
	r := s.check(fmt.Sprintf("worker kill -9 during a %s script (after %s), 5 jobs every 1s", d, after), from, w)

	var probeGone, childGone time.Duration
	for _, x := range runsOf(mustSink(t, s.sink), w) {
		if x.exec == id && x.attempt == 1 {
			require.False(t, x.died.IsZero(), "attempt 1's probe died")
			require.False(t, x.childDied.IsZero(), "attempt 1's child died")
			probeGone, childGone = x.died.Sub(killedAt), x.childDied.Sub(killedAt)
		}
	}
	retryAfter := time.Unix(0, second.Time).Sub(killedAt)
	evs := s.execEvents(id)
	r.figure("script tree gone after the kill", "probe %s, its child %s (limit 1s)", probeGone.Round(time.Millisecond), childGone.Round(time.Millisecond))
	r.figure("attempt 2 started after the kill", "%s on %s (limit ack wait %s + 1s)", retryAfter.Round(time.Millisecond), second.Worker, ackWait)
	r.figure("events of the execution", "%v", eventKinds(evs))
	r.require(t)
	require.LessOrEqual(t, probeGone, time.Second)
	require.LessOrEqual(t, childGone, time.Second)
	require.LessOrEqual(t, retryAfter, ackWait+time.Second)
	require.NotEqual(t, first.Worker, second.Worker, "another worker runs attempt 2")
	require.Equal(t, 2, count(evs, event.Started), "two attempts recorded")
	require.Equal(t, 1, count(evs, event.Abandoned), "attempt 1 recorded as abandoned")
	require.Equal(t, 2, final.Attempt)
}

// TestLongJobAndFrozenWorker runs a job ten ack waits long on a healthy
// worker — it is never redelivered, its heartbeats hold it — and another
// on a worker frozen (SIGSTOP) just before its script ends: the message is
// redelivered to a third worker, and when the frozen one wakes up its late
// result is recorded as superseded, not as the result.
func TestLongJobAndFrozenWorker(t *testing.T) {
	long := 10 * ackWait
	short := pick(6*time.Second, 20*time.Second)
	s := start(t, options{schedulers: 1, workers: 3, concurrency: 1})
	w := watchPIDs(s.sink)
	defer w.close()
	s.adhocJob("steady", long, false)
	s.adhocJob("frozen", short, false)
	from := time.Now()

	steady := s.runNow("steady")
	sRec := s.started(steady, 1, 30*time.Second)
	frozen := s.runNow("frozen")
	fRec := s.started(frozen, 1, 30*time.Second)
	require.NotEqual(t, sRec.Worker, fRec.Worker, "each worker runs one execution at a time")

	victim := s.workerOf(fRec.Worker)
	pace(time.Until(time.Unix(0, fRec.Time).Add(short - 500*time.Millisecond)))
	frozenAt := time.Now()
	victim.signal(syscall.SIGSTOP) // the worker only: its script runs to its end
	second := s.started(frozen, 2, ackWait+15*time.Second)
	pace(time.Second)
	victim.signal(syscall.SIGCONT)
	sup := s.waitEvent(frozen, event.Superseded, 30*time.Second)
	s.waitEvent(frozen, event.Succeeded, short+30*time.Second)
	s.waitEvent(steady, event.Succeeded, long+30*time.Second)
	s.stopFiring()
	r := s.check(fmt.Sprintf("a %s job with heartbeats; a %s job whose worker froze at its end", long, short), from, w)

	sEvs, fEvs := s.execEvents(steady), s.execEvents(frozen)
	r.figure("long job", "%v (deliveries: %d)", eventKinds(sEvs), count(sEvs, event.Started))
	r.figure("frozen worker's job", "%v; frozen %s, attempt 2 on %s after %s", eventKinds(fEvs), fRec.Worker,
		second.Worker, time.Unix(0, second.Time).Sub(frozenAt).Round(time.Millisecond))
	r.require(t)
	require.Equal(t, 1, count(sEvs, event.Started), "the long job is never redelivered")
	require.Zero(t, count(sEvs, event.Abandoned))
	require.Equal(t, 1, sup.Attempt, "the frozen attempt's late result is superseded")
	require.Equal(t, fRec.Worker, sup.Worker)
	fin := finals(fEvs)
	require.Len(t, fin, 1)
	require.Equal(t, 2, fin[0].Attempt, "the result is attempt 2's")
	require.Equal(t, second.Worker, fin[0].Worker)
}

// TestRollingWorkerRestart sends SIGTERM to one worker after another under
// load and starts each again: no run is lost, hardly any retried, and a
// stopping worker fetches nothing a second after SIGTERM.
func TestRollingWorkerRestart(t *testing.T) {
	jobs, every, restarts := pick(20, 100), pick(5*time.Second, 10*time.Second), pick(3, 12)
	s := start(t, options{schedulers: 2, workers: 3, concurrency: pick(8, 32)})
	w := watchPIDs(s.sink)
	defer w.close()
	s.createJobs("load", jobs, time.Second, 20*time.Millisecond)
	from := time.Now().Add(time.Second)

	type term struct {
		at  time.Time
		pid int
	}
	var terms []term
	var drains []time.Duration
	for i := range restarts {
		pace(every)
		p := s.workers[i%len(s.workers)]
		at := time.Now()
		terms = append(terms, term{at, p.pid()})
		p.signal(syscall.SIGTERM)
		require.True(t, p.wait(20*time.Second), "%s stops within its grace", p.name)
		require.Zero(t, p.exitCode(), "%s exits cleanly on SIGTERM:\n%s", p.name, p.tail(2000))
		drains = append(drains, time.Since(at))
		p.start()
	}
	pace(every)
	s.stopFiring()
	r := s.check(fmt.Sprintf("rolling SIGTERM of every worker, one every %s (%d restarts), %d jobs every 1s", every, restarts, jobs), from, w)

	// A stopping worker sends no fetch after SIGTERM; one sent just
	// before waits for a message at most fetchWait (1s), and the message
	// it brings runs: nothing may start later than that (plus the time to
	// start a process).
	late, lastStart := 0, time.Duration(0)
	for _, x := range runsOf(mustSink(t, s.sink), w) {
		for _, tm := range terms {
			if x.wpid != tm.pid || x.start.Before(tm.at) {
				continue
			}
			lastStart = max(lastStart, x.start.Sub(tm.at))
			if x.start.After(tm.at.Add(1500 * time.Millisecond)) {
				late++
				r.problem("%s attempt %d started on a stopping worker %s after SIGTERM", x.exec, x.attempt, x.start.Sub(tm.at))
			}
		}
	}
	ratio := float64(r.Retries) / float64(max(r.Runs, 1))
	r.figure("retried attempts", "%d of %d runs (%.3f%%; limit 0.1%%)", r.Retries, r.Runs, 100*ratio)
	r.figure("SIGTERM to exit", "%s", durations(drains))
	r.figure("latest run start on a stopping worker after its SIGTERM", "%s (runs later than 1.5s: %d)", lastStart.Round(time.Millisecond), late)
	r.require(t)
	require.LessOrEqual(t, ratio, 0.001)
	require.Zero(t, late)
}

func mustSink(t *testing.T, dir string) []record {
	t.Helper()
	recs, err := readSink(dir)
	require.NoError(t, err)
	return recs
}
