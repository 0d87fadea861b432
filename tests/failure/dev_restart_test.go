package failure_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestDevRestartFiresAtOnce kills `jetcron dev` with kill -9 and starts it
// again on the same data directory: its scheduler reclaims the lease its
// predecessor left (same ID, derived from the directory; the directory's
// lock guarantees one process at a time) instead of waiting for it to
// expire, so firing resumes within seconds of the restart. A second
// `jetcron dev` on a directory in use fails at once. It also measures how
// long the execution running at the kill takes to be run again (the ack
// wait, 10s in dev: the restarted worker cannot take over a message it
// never got).
func TestDevRestartFiresAtOnce(t *testing.T) {
	s, dev, data := startDev(t, "--workers", "4")

	// One process per data directory.
	second := newProc(t, s.dir, "dev-second", bins.jetcron, "dev", "--data", data,
		"--listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "--http", "off")
	second.start()
	require.True(t, second.wait(10*time.Second), "a second jetcron dev on the same data fails at once")
	require.NotEqual(t, 0, second.exitCode())
	require.Contains(t, second.output(), "in use by another jetcron dev")
	require.True(t, dev.running())

	// Overlap allow: a slot of tick does not wait for one in flight at the
	// kill (that is the ack wait, measured below).
	_, err := s.client.CreateJob(t.Context(), job.Spec{Name: "tick", Schedule: job.Schedule{Every: job.Duration(time.Second)}, Overlap: job.OverlapAllow,
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}})
	require.NoError(t, err)
	_, err = s.client.CreateJob(t.Context(), job.Spec{Name: "long", Schedule: job.Schedule{Every: job.Duration(24 * time.Hour)},
		Task: job.Task{Kind: job.TaskCommand, Command: []string{bins.probe, s.sink, "10m"}}})
	require.NoError(t, err)
	run, err := s.client.RunJob(t.Context(), "long", nil, false)
	require.NoError(t, err)
	kinds := func(jobName string, kind event.Kind) int {
		n := 0
		for _, e := range s.events() {
			if e.Job == jobName && e.Kind == kind {
				n++
			}
		}
		return n
	}
	natstest.Eventually(t, 60*time.Second, func() bool { return kinds("tick", event.Scheduled) >= 3 && kinds("long", event.Started) >= 1 },
		"tick fires and long runs\n%s", dev.tail(3000))

	before := kinds("tick", event.Scheduled)
	killedAt := time.Now()
	dev.signal(syscall.SIGKILL)
	require.True(t, dev.wait(10*time.Second))
	restartedAt := time.Now()
	dev.start()
	var fired time.Time
	natstest.Eventually(t, 60*time.Second, func() bool {
		if kinds("tick", event.Scheduled) > before {
			fired = time.Now()
			return true
		}
		return false
	}, "firing resumes after the restart\n%s", dev.tail(3000))
	fire := fired.Sub(restartedAt)
	t.Logf("jetcron dev kill -9, restarted at once: first fire %s after the restart (%s after the kill; observed by polling the events every few ms)",
		fire.Round(time.Millisecond), fired.Sub(killedAt).Round(time.Millisecond))
	require.Contains(t, dev.output(), "reclaimed the lease left by an earlier run", "the restarted scheduler reclaimed its lease")
	require.LessOrEqual(t, fire, 5*time.Second, "the restarted dev fires within seconds, not after the lease (15s)")

	var rerun time.Time
	natstest.Eventually(t, 90*time.Second, func() bool {
		for _, e := range s.events() {
			if e.Execution == run.ExecutionID && e.Kind == event.Started && e.Attempt >= 2 {
				rerun = time.Now()
				return true
			}
		}
		return false
	}, "the execution running at the kill runs again\n%s", dev.tail(3000))
	again := rerun.Sub(restartedAt)
	t.Logf("the execution in flight at the kill started again %s after the restart (dev's ack wait is 10s)", again.Round(time.Millisecond))
	require.LessOrEqual(t, again, 20*time.Second, "the run in flight starts again within about the ack wait")
	_, err = s.client.Cancel(t.Context(), run.ExecutionID, "test over")
	require.NoError(t, err)
}
