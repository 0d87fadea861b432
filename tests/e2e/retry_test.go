package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestRetriesReachFailed: a run that always fails gets exactly retries+1
// attempts with backoff, ends failed, and its message leaves the stream.
func TestRetriesReachFailed(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "flaky", "--every", "1h", "--retries", "2", "--backoff", "1s:2s", "--", "sh", "-c", "echo try $JETCRON_ATTEMPT; exit 3")
	id := strings.TrimSpace(s.ok("job", "run", "flaky"))
	x := s.waitState(id, 30*time.Second, job.StateFailed)
	require.Equal(t, 3, x.Attempt)
	require.Len(t, x.Attempts, 3)
	for i, a := range x.Attempts {
		require.Equal(t, i+1, a.N)
		require.Equal(t, "3", exitText(a.ExitCode))
		if i < 2 {
			require.Equal(t, string(job.StateRetrying), a.State)
		}
	}
	// Backoff: the second attempt starts at least ~1s (minus jitter) after the first ended.
	gap := x.Attempts[1].StartedAt.Sub(*x.Attempts[0].FinishedAt)
	require.Greater(t, gap, 700*time.Millisecond)
	require.Equal(t, "try 3\n", s.ok("exec", "logs", id))
	require.Equal(t, "try 1\n", s.ok("exec", "logs", id, "--attempt", "1"))
	natstest.Eventually(t, 5*time.Second, func() bool {
		return natstest.MsgCount(t, natstest.JetStream(t, s.nc), s.topo.Names().WorkStream()) == 0
	}, "the failed execution's message left the work stream")
}

// TestRetryOnlyListedExitCodes: --retry-on-exit limits which codes retry.
func TestRetryOnlyListedExitCodes(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "picky", "--every", "1h", "--retries", "3", "--backoff", "1s", "--retry-on-exit", "75", "--", "sh", "-c", "exit 2")
	id := strings.TrimSpace(s.ok("job", "run", "picky"))
	x := s.waitState(id, 20*time.Second, job.StateFailed)
	require.Equal(t, 1, x.Attempt, "exit 2 is not retried")
}

// TestRunFollowExitCode: `job run -f` prints the run's output and how it
// ended, and exits 0 only when it succeeded, so that a script can tell.
func TestRunFollowExitCode(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "passes", "--every", "1h", "--", "sh", "-c", "echo fine")
	s.ok("job", "create", "fails", "--every", "1h", "--", "sh", "-c", "echo broken; exit 3")

	r := s.cli("job", "run", "passes", "-f")
	require.Equal(t, 0, r.code, r.err)
	require.Contains(t, r.out, "fine\n")
	require.Contains(t, r.err, " succeeded")

	r = s.cli("job", "run", "fails", "-f")
	require.Equal(t, 6, r.code, "stdout: %s\nstderr: %s", r.out, r.err)
	require.Contains(t, r.out, "broken\n")
	require.Contains(t, r.err, " failed: exit code 3")

	r = s.cli("job", "run", "fails")
	require.Equal(t, 0, r.code, "without -f the command only starts the run: %s", r.err)
}

// TestTimeoutKillsWhatIgnoresSIGTERM: SIGTERM, the grace period, then
// SIGKILL to the whole group; state timed_out.
func TestTimeoutKillsWhatIgnoresSIGTERM(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "stubborn", "--every", "1h", "--timeout", "1s", "--kill-grace", "1s", "--",
		"bash", "-c", `trap 'echo got TERM' TERM; echo started; while true; do sleep 0.1; done`)
	id := strings.TrimSpace(s.ok("job", "run", "stubborn"))
	x := s.waitState(id, 20*time.Second, job.StateTimedOut)
	d, ok := x.Duration()
	require.True(t, ok)
	require.GreaterOrEqual(t, d, 1900*time.Millisecond, "timeout plus grace")
	require.Less(t, d, 6*time.Second)
	out := s.ok("exec", "logs", id)
	require.Contains(t, out, "started")
	require.Contains(t, out, "got TERM")
	require.Contains(t, x.Error, "timed out")
}

// TestCancel: a running execution stops and is not retried; a waiting one
// is removed.
func TestCancel(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "long", "--every", "1h", "--retries", "3", "--", "sleep", "30")
	id := strings.TrimSpace(s.ok("job", "run", "long"))
	s.waitState(id, 15*time.Second, job.StateRunning)
	require.Contains(t, s.ok("exec", "cancel", id, "--reason", "not today"), "cancelling")
	x := s.waitState(id, 15*time.Second, job.StateCancelled)
	require.Equal(t, "not today", x.Error)
	require.Equal(t, 1, x.Attempt, "a cancelled run is not retried")

	s.ok("job", "enqueue", "long", "--in", "1h")
	xs := s.executions("long")
	var waiting string
	for _, x := range xs {
		if x.ID != id {
			waiting = x.ID
		}
	}
	if waiting == "" { // not dispatched yet: it waits in the pending bucket, without events
		out := s.ok("job", "enqueue", "long", "--in", "1h")
		waiting = strings.Fields(out)[0]
	}
	require.Contains(t, s.ok("exec", "cancel", waiting), "cancelled")
	r := s.cli("exec", "cancel", id)
	require.Equal(t, 4, r.code, "an ended execution cannot be cancelled: %s", r.err)
}

// TestCancelDelayedRun: a run waiting for its job's running execution to
// end (overlap delay) is cancelled before it runs, whether it is a slot
// (held only by the leader) or a manual run (also a key in the pending
// bucket); it never starts, and the job goes on.
func TestCancelDelayedRun(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "busy", "--every", "2s", "--overlap", "delay", "--", "sleep", "30")
	running := s.waitFor("busy", 20*time.Second, job.StateRunning)
	delayed := func() job.Execution {
		var found job.Execution
		natstest.Eventually(t, 20*time.Second, func() bool {
			for _, x := range s.executions("busy") {
				if x.Delayed && x.State == job.StateScheduled {
					found = x
					return true
				}
			}
			return false
		}, "a slot of busy waits for the running one")
		return found
	}
	slot := delayed()
	require.Contains(t, s.ok("exec", "cancel", slot.ID, "--reason", "not this one"), "cancelled")
	x := s.waitState(slot.ID, 15*time.Second, job.StateCancelled)
	require.Equal(t, "not this one", x.Error)

	// A later slot becomes the delayed run again; the running one is
	// cancelled, and the next run starts: the cancelled slot never did.
	next := delayed()
	require.NotEqual(t, slot.ID, next.ID)
	s.ok("exec", "cancel", running.ID)
	s.waitState(running.ID, 15*time.Second, job.StateCancelled)
	s.waitState(next.ID, 20*time.Second, job.StateRunning)
	x, err := s.client.Execution(t.Context(), slot.ID)
	require.NoError(t, err)
	require.Equal(t, job.StateCancelled, x.State)
	require.Empty(t, x.Attempts, "the cancelled delayed slot never started")

	// A manual run that waits: its pending key goes, and so does the run.
	s.ok("job", "disable", "busy")
	manual := strings.TrimSpace(s.ok("job", "run", "busy"))
	natstest.Eventually(t, 20*time.Second, func() bool {
		x, err := s.client.Execution(t.Context(), manual)
		return err == nil && x.Delayed
	}, "the manual run waits for the running one")
	require.Contains(t, s.ok("exec", "cancel", manual), "cancelled")
	s.waitState(manual, 15*time.Second, job.StateCancelled)
	s.ok("exec", "cancel", next.ID)
	s.waitState(next.ID, 15*time.Second, job.StateCancelled)
	// Offer the delayed runs again (the leader does when a run ends): the
	// cancelled manual run does not start.
	after := strings.TrimSpace(s.ok("job", "run", "busy"))
	s.waitState(after, 20*time.Second, job.StateRunning)
	x, err = s.client.Execution(t.Context(), manual)
	require.NoError(t, err)
	require.Equal(t, job.StateCancelled, x.State)
	require.Empty(t, x.Attempts, "the cancelled manual run never started")
}

// TestExhaustedDeliveriesDoNotLinger: when every delivery of an execution
// was lost with its worker, the message reaches MaxDeliver; the leader then
// records the execution as failed and removes the message, so it neither
// lingers in the work stream nor blocks its job.
func TestExhaustedDeliveriesDoNotLinger(t *testing.T) {
	t.Parallel()
	s := start(t, options{workers: -1, maxDeliver: 2})
	s.ok("job", "create", "doomed", "--every", "1h", "--", "sleep", "30")
	id := strings.TrimSpace(s.ok("job", "run", "doomed"))
	for attempt := 1; attempt <= 2; attempt++ {
		w := s.addWorker(options{})
		natstest.Eventually(t, 20*time.Second, func() bool {
			x, err := s.client.Execution(t.Context(), id)
			return err == nil && x.State == job.StateRunning && x.Attempt == attempt
		}, "attempt %d runs", attempt)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		require.NoError(t, w.Stop(ctx)) // grace over: the attempt is interrupted and handed back
		cancel()
	}
	// A worker asking for work is what makes JetStream notice the limit.
	s.addWorker(options{})
	x := s.waitState(id, 20*time.Second, job.StateFailed)
	require.Contains(t, x.Error, "gave up after 2 deliveries")
	natstest.Eventually(t, 10*time.Second, func() bool {
		return natstest.MsgCount(t, natstest.JetStream(t, s.nc), s.topo.Names().WorkStream()) == 0
	}, "the exhausted message left the work stream")
}

// TestCancelAtTheDueTime: enqueued runs cancelled as they fall due, while
// the leader publishes them. A cancel answered "cancelled" is kept: the
// run never starts, and it ends cancelled (the API used to remove the
// run's pending key and answer "cancelled" while the leader published it
// from its own copy, and it ran).
func TestCancelAtTheDueTime(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "due", "--every", "1h", "--", "true")
	const n = 12
	first := time.Now().Add(2 * time.Second)
	type answer struct {
		id, result string
		err        error
	}
	answers := make(chan answer, n)
	for i := range n {
		r, err := s.client.Enqueue(t.Context(), "due", first.Add(time.Duration(i)*300*time.Millisecond), nil)
		require.NoError(t, err)
		go func() {
			time.Sleep(time.Until(r.At)) // the race is with the clock: cancel as it falls due
			out, err := s.client.Cancel(t.Context(), r.ExecutionID, "at its time")
			answers <- answer{r.ExecutionID, out.Result, err}
		}()
	}
	var cancelled []string
	for range n {
		a := <-answers
		if a.err != nil {
			// It ran and ended, or was being handed over; or, on a loaded
			// machine, its worker did not answer in time.
			require.True(t, errors.Is(a.err, job.ErrConflict) || errors.Is(a.err, api.ErrUnavailable), "%s: %v", a.id, a.err)
			continue
		}
		if a.result == "cancelled" { // otherwise a worker was running it
			cancelled = append(cancelled, a.id)
		}
	}
	// A run published as it was cancelled would have run by the time a
	// later one has.
	last, err := s.client.Enqueue(t.Context(), "due", time.Now().Add(time.Second), nil)
	require.NoError(t, err)
	s.waitState(last.ExecutionID, 15*time.Second, job.StateSucceeded)
	for _, id := range cancelled {
		x, err := s.client.Execution(t.Context(), id)
		require.NoError(t, err)
		require.Equal(t, job.StateCancelled, x.State, "%s was answered cancelled: %+v", id, x)
		require.Empty(t, x.Attempts, "%s was answered cancelled and never starts", id)
	}
	t.Logf("%d of %d answered cancelled", len(cancelled), n)
}
