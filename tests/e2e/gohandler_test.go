package e2e

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/worker"
)

// hookLog records, per execution, every call of a handler and its hooks.
type hookLog struct {
	mu    sync.Mutex
	calls map[string][]string
}

func (l *hookLog) add(id, what string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls[id] = append(l.calls[id], what)
}

func (l *hookLog) of(id string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls[id]...)
}

// recorded is a handler with every hook, recording into a hookLog.
type recorded struct {
	log *hookLog
	fn  func(ctx context.Context, run *worker.Run) error
}

func (r *recorded) Run(ctx context.Context, run *worker.Run) error {
	r.log.add(run.ID, fmt.Sprintf("run %d", run.Attempt))
	return r.fn(ctx, run)
}

func (r *recorded) OnSuccess(_ context.Context, run *worker.Run) { r.log.add(run.ID, "success") }

func (r *recorded) OnFail(_ context.Context, run *worker.Run, err error) {
	r.log.add(run.ID, "fail: "+err.Error())
}

func (r *recorded) OnAbort(_ context.Context, run *worker.Run, err error) {
	r.log.add(run.ID, "abort: "+err.Error())
}

var (
	_ worker.SuccessHook = (*recorded)(nil)
	_ worker.FailHook    = (*recorded)(nil)
	_ worker.AbortHook   = (*recorded)(nil)
)

// TestGoHandlers: a Go program's embedded worker runs its handlers; the
// returned error decides what follows; hooks are called exactly once; a
// panic fails the run and the worker keeps running; a generic worker never
// takes a Go handler's job.
func TestGoHandlers(t *testing.T) {
	t.Parallel()
	s := start(t, options{concurrency: 4}) // the generic worker, like jetcron dev's: queue "default"
	hooks := &hookLog{calls: map[string][]string{}}
	w, err := worker.New(natstest.Connect(t, s.srv), worker.Config{ID: "embedded", Topology: s.topo, HandlersOnly: true, Concurrency: 8, WorkDir: natstest.WorkDir(t)})
	require.NoError(t, err)
	handle := func(name string, fn func(ctx context.Context, run *worker.Run) error) {
		require.NoError(t, w.Handle(name, &recorded{log: hooks, fn: fn}))
	}
	handle("ok", func(_ context.Context, run *worker.Run) error {
		fmt.Fprintf(run.Log, "hello %s\n", run.Params["who"])
		return nil
	})
	handle("snooze", func(_ context.Context, run *worker.Run) error {
		if run.Attempt == 1 {
			return worker.RetryAfter(1500*time.Millisecond, errors.New("rate limited"))
		}
		return nil
	})
	handle("permanent", func(context.Context, *worker.Run) error { return worker.Permanent(errors.New("bad token")) })
	handle("flaky", func(context.Context, *worker.Run) error { return errors.New("boom") })
	handle("panics", func(context.Context, *worker.Run) error { panic("kaboom") })
	handle("blocks", func(ctx context.Context, _ *worker.Run) error {
		<-ctx.Done()
		return ctx.Err()
	})
	handle("pager", func(_ context.Context, run *worker.Run) error {
		if run.Params["page"] == "1" {
			run.FollowUp(job.FollowUp{Params: map[string]string{"page": "2"}})
		}
		return nil
	})
	require.NoError(t, w.Start(t.Context()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.Stop(ctx)
	})

	runJob := func(t *testing.T, name, handler string, args ...string) string {
		t.Helper()
		s.ok(append([]string{"job", "create", name, "--every", "1h", "--handler", handler}, args...)...)
		return s.runJob(noEnv, name)
	}
	final := func(t *testing.T, id string) job.Execution {
		t.Helper()
		return s.waitState(id, 30*time.Second, job.StateSucceeded, job.StateFailed, job.StateTimedOut, job.StateCancelled)
	}
	expectHooks := func(t *testing.T, id string, want ...string) {
		t.Helper()
		natstest.Eventually(t, 10*time.Second, func() bool { return len(hooks.of(id)) >= len(want) }, "hooks of %s", id)
		require.Equal(t, want, hooks.of(id))
		t.Cleanup(func() { require.Equal(t, want, hooks.of(id), "no hook was called again") })
	}

	t.Run("Success", func(t *testing.T) {
		t.Parallel()
		id := runJob(t, "gh-ok", "ok", "--param", "who=world")
		x := final(t, id)
		require.Equal(t, job.StateSucceeded, x.State, x.Error)
		require.Equal(t, "embedded", x.Worker)
		require.Equal(t, "hello world\n", s.ok("exec", "logs", id))
		expectHooks(t, id, "run 1", "success")
		require.Contains(t, s.ok("job", "get", "gh-ok", "-o", "json"), `"queue": "go-ok"`)
	})

	t.Run("RetryAfter", func(t *testing.T) {
		t.Parallel()
		id := runJob(t, "gh-snooze", "snooze", "--retries", "2", "--backoff", "1m")
		x := final(t, id)
		require.Equal(t, job.StateSucceeded, x.State, x.Error)
		require.Equal(t, 2, x.Attempt)
		expectHooks(t, id, "run 1", "run 2", "success")
		retrying := eventOf(t, s, id, event.Retrying)
		require.WithinDuration(t, retrying.Time.Add(1500*time.Millisecond), *retrying.NextAttempt, 100*time.Millisecond, "retried at the asked time, not the 1m backoff")
		require.Contains(t, retrying.Error, "rate limited")
	})

	t.Run("Permanent", func(t *testing.T) {
		t.Parallel()
		id := runJob(t, "gh-permanent", "permanent", "--retries", "3", "--backoff", "1s")
		x := final(t, id)
		require.Equal(t, job.StateFailed, x.State)
		require.Equal(t, 1, x.Attempt, "no retry")
		require.Equal(t, "permanent: bad token", x.Error)
		expectHooks(t, id, "run 1", "fail: permanent: bad token")
	})

	t.Run("OtherErrorFollowsRetryPolicy", func(t *testing.T) {
		t.Parallel()
		id := runJob(t, "gh-flaky", "flaky", "--retries", "1", "--backoff", "1s")
		x := final(t, id)
		require.Equal(t, job.StateFailed, x.State)
		require.Equal(t, 2, x.Attempt, "one retry")
		require.Equal(t, "boom", x.Error)
		expectHooks(t, id, "run 1", "run 2", "fail: boom")
	})

	t.Run("PanicFailsAndWorkerKeepsRunning", func(t *testing.T) {
		t.Parallel()
		id := runJob(t, "gh-panics", "panics")
		x := final(t, id)
		require.Equal(t, job.StateFailed, x.State)
		require.Equal(t, "handler panicked: kaboom", x.Error)
		require.Contains(t, s.ok("exec", "logs", id), "panic: kaboom\n")
		expectHooks(t, id, "run 1", "fail: handler panicked: kaboom")
		// The same worker runs the next execution.
		next := runJob(t, "gh-after-panic", "ok", "--param", "who=again")
		x = final(t, next)
		require.Equal(t, job.StateSucceeded, x.State, x.Error)
		require.Equal(t, "embedded", x.Worker)
	})

	t.Run("TimeoutAborts", func(t *testing.T) {
		t.Parallel()
		// 1.5s: off the 1s heartbeat ticks of the test's 3s ack wait.
		id := runJob(t, "gh-timeout", "blocks", "--timeout", "1500ms")
		x := final(t, id)
		require.Equal(t, job.StateTimedOut, x.State)
		expectHooks(t, id, "run 1", "abort: timed out after 1.5s", "fail: timed out after 1.5s")
	})

	t.Run("CancelAborts", func(t *testing.T) {
		t.Parallel()
		id := runJob(t, "gh-cancel", "blocks", "--retries", "2")
		s.waitState(id, 30*time.Second, job.StateRunning)
		s.ok("exec", "cancel", id)
		x := final(t, id)
		require.Equal(t, job.StateCancelled, x.State)
		require.Equal(t, 1, x.Attempt)
		natstest.Eventually(t, 10*time.Second, func() bool { return len(hooks.of(id)) == 2 }, "hooks of %s", id)
		got := hooks.of(id)
		require.Equal(t, "run 1", got[0])
		require.True(t, strings.HasPrefix(got[1], "abort: "), got[1])
		t.Cleanup(func() { require.Len(t, hooks.of(id), 2, "no hook was called again") })
	})

	t.Run("FollowUp", func(t *testing.T) {
		t.Parallel()
		id := runJob(t, "gh-pager", "pager", "--param", "page=1")
		require.Equal(t, job.StateSucceeded, final(t, id).State)
		var child job.Execution
		natstest.Eventually(t, 30*time.Second, func() bool {
			for _, x := range s.executions("gh-pager") {
				if x.ParentID == id && x.State == job.StateSucceeded {
					child = x
					return true
				}
			}
			return false
		}, "the follow-up runs")
		require.Equal(t, job.TriggerFollowUp, child.Trigger)
		require.Equal(t, "2", child.Params["page"])
	})

	t.Run("GenericWorkerNeverTakesIt", func(t *testing.T) {
		t.Parallel()
		s.ok("job", "create", "gh-orphan", "--every", "1h", "--handler", "orphan")
		require.Contains(t, s.ok("job", "get", "gh-orphan", "-o", "json"), `"queue": "go-orphan"`)
		id := s.runJob(noEnv, "gh-orphan")
		time.Sleep(2 * time.Second) // negative check: no worker has the handler, so nothing may start it
		x, err := s.client.Execution(t.Context(), id)
		require.NoError(t, err)
		require.Equal(t, job.StateScheduled, x.State, "the generic worker (queue default) does not take it")
		require.Equal(t, 0, x.Attempt)

		// Registered now, on the running embedded worker: it pulls the
		// handler's queue and runs the waiting execution.
		require.NoError(t, w.Handle("orphan", &recorded{log: hooks, fn: func(context.Context, *worker.Run) error { return nil }}))
		x = final(t, id)
		require.Equal(t, job.StateSucceeded, x.State, x.Error)
		require.Equal(t, "embedded", x.Worker)
		require.Contains(t, w.Queues(), "go-orphan")
	})
}
