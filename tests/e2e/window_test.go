package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/worker"
)

// windowScript prints the run's window and writes its execution ID as the
// new checkpoint; with the param fail it then fails.
const windowScript = `echo "window [${JETCRON_LAST_SUCCESS_SLOT:-none}, $JETCRON_SCHEDULED_AT) prev=${JETCRON_PREV_SLOT:-none} checkpoint=${JETCRON_CHECKPOINT:-none}"
printf '%s' "$JETCRON_EXECUTION_ID" > "$JETCRON_CHECKPOINT_FILE"
case "$JETCRON_PARAMS" in *fail*) exit 3;; esac`

// TestCheckpointWindow: a command job gets its window [last success, this
// slot) and the checkpoint the last success wrote; a failed run's
// checkpoint is not kept, so the run after it starts from the last
// success; job get shows both; a checkpoint over 64 KiB fails the run.
func TestCheckpointWindow(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "export", "--cron", "0 0 1 1 *", "--", "sh", "-c", windowScript)
	run := func(state job.State, args ...string) (job.Execution, string) {
		t.Helper()
		id := strings.TrimSpace(s.ok(append([]string{"job", "run", "export"}, args...)...))
		x := s.waitState(id, 30*time.Second, job.StateSucceeded, job.StateFailed)
		log := s.ok("exec", "logs", id)
		require.Equal(t, state, x.State, "error %q, log:\n%s", x.Error, log)
		return x, log
	}
	// A yearly schedule, so that no slot fires during the test: the
	// previous slot is this year's first instant.
	yearStart := time.Date(time.Now().UTC().Year(), 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)

	first, log := run(job.StateSucceeded)
	require.Contains(t, log, "window [none, "+first.ScheduledAt.UTC().Format(time.RFC3339)+") prev="+yearStart+" checkpoint=none")

	failed, log := run(job.StateFailed, "--param", "fail=yes")
	require.Contains(t, log, "window ["+first.ScheduledAt.UTC().Format(time.RFC3339)+", "+failed.ScheduledAt.UTC().Format(time.RFC3339)+") prev="+yearStart+" checkpoint="+first.ID)

	third, log := run(job.StateSucceeded)
	require.Contains(t, log, "window ["+first.ScheduledAt.UTC().Format(time.RFC3339)+", ", "after a failure the window starts at the last success")
	require.Contains(t, log, "checkpoint="+first.ID, "the failed run's checkpoint was not kept")

	out := s.ok("job", "get", "export")
	require.Contains(t, out, strconv.Quote(third.ID))
	require.Contains(t, out, "last success")
	var v api.JobView
	require.NoError(t, json.Unmarshal([]byte(s.ok("job", "get", "export", "-o", "json")), &v))
	require.NotNil(t, v.Checkpoint)
	require.Equal(t, third.ID, v.Checkpoint.Value)
	require.True(t, third.ScheduledAt.Equal(v.Checkpoint.LastSuccessSlot))

	s.ok("job", "create", "toobig", "--every", "1h", "--", "sh", "-c", `head -c 70000 /dev/zero | tr '\0' a > "$JETCRON_CHECKPOINT_FILE"`)
	id := strings.TrimSpace(s.ok("job", "run", "toobig"))
	x := s.waitState(id, 30*time.Second, job.StateSucceeded, job.StateFailed)
	require.Equal(t, job.StateFailed, x.State)
	require.Contains(t, x.Error, "JETCRON_CHECKPOINT_FILE holds more than 65536 bytes")
	require.NotContains(t, s.ok("job", "get", "toobig"), "last success")

	// A job that never sets a checkpoint keeps none: its successes cost no
	// write.
	s.ok("job", "create", "plain", "--every", "1h", "--", "true")
	id = strings.TrimSpace(s.ok("job", "run", "plain"))
	require.Equal(t, job.StateSucceeded, s.waitState(id, 30*time.Second, job.StateSucceeded, job.StateFailed).State)
	require.NotContains(t, s.ok("job", "get", "plain"), "last success")
}

// TestCheckpointGoHandler: a Go handler reads its previous slot, last
// success and checkpoint from the run and sets the next checkpoint; a
// value over the limit is refused and fails the run.
func TestCheckpointGoHandler(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	w, err := worker.New(natstest.Connect(t, s.srv), worker.Config{ID: "embedded", Topology: s.topo, HandlersOnly: true, Concurrency: 2, WorkDir: natstest.WorkDir(t)})
	require.NoError(t, err)
	seen := make(chan string, 10)
	require.NoError(t, w.Handle("counter", worker.HandlerFunc(func(_ context.Context, run *worker.Run) error {
		n, _ := strconv.Atoi(run.Checkpoint)
		seen <- fmt.Sprintf("prev=%s last=%s cp=%q", run.PrevSlot.Format(time.RFC3339), run.LastSuccessSlot.Format(time.RFC3339), run.Checkpoint)
		return run.SetCheckpoint(strconv.Itoa(n + 1))
	})))
	require.NoError(t, w.Handle("huge", worker.HandlerFunc(func(_ context.Context, run *worker.Run) error {
		require.Error(t, run.SetCheckpoint(strings.Repeat("a", job.MaxCheckpointBytes+1)))
		return nil
	})))
	require.NoError(t, w.Start(t.Context()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.Stop(ctx)
	})
	s.ok("job", "create", "counter", "--cron", "0 0 1 1 *", "--handler", "counter")
	// A yearly schedule, so that no slot fires during the test: the
	// previous slot is this year's first instant.
	yearStart := time.Date(time.Now().UTC().Year(), 1, 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	var last job.Execution
	for i := range 3 {
		id := strings.TrimSpace(s.ok("job", "run", "counter"))
		x := s.waitState(id, 30*time.Second, job.StateSucceeded, job.StateFailed)
		require.Equal(t, job.StateSucceeded, x.State, x.Error)
		got := <-seen
		require.Contains(t, got, "prev="+yearStart)
		require.Contains(t, got, fmt.Sprintf("cp=%q", map[bool]string{true: "", false: strconv.Itoa(i)}[i == 0]))
		if i > 0 {
			require.Contains(t, got, "last="+last.ScheduledAt.UTC().Format(time.RFC3339))
		}
		last = x
	}
	var v api.JobView
	require.NoError(t, json.Unmarshal([]byte(s.ok("job", "get", "counter", "-o", "json")), &v))
	require.Equal(t, "3", v.Checkpoint.Value)

	s.ok("job", "create", "huge", "--every", "1h", "--handler", "huge")
	id := strings.TrimSpace(s.ok("job", "run", "huge"))
	x := s.waitState(id, 30*time.Second, job.StateSucceeded, job.StateFailed)
	require.Equal(t, job.StateFailed, x.State)
	require.Contains(t, x.Error, "checkpoint: is 65537 bytes")
}
