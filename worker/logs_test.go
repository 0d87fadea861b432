package worker_test

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/objstore"
	"github.com/jetcron/jetcron/worker"
)

// TestLogCaptureTouchesDiskOnlyForLargeOutput: a run that prints little
// is captured in memory (no log directory is ever made); one that prints
// more than the capture holds in memory spills to a run log directory,
// which is removed once the log is stored. Both logs are stored exactly.
func TestLogCaptureTouchesDiskOnlyForLargeOutput(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	names := env.Topo.Names()
	workDir := natstest.WorkDir(t)
	logsDir := filepath.Join(workDir, "logs")
	startWorker(t, env, worker.Config{WorkDir: workDir})
	reader := event.NewReader(env.NC, env.JS, names)
	store, err := objstore.OpenNATS(t.Context(), env.JS, names.LogsStore())
	require.NoError(t, err)

	run := func(name, script string) []byte {
		t.Helper()
		spec := job.Spec{Name: name, Schedule: job.Schedule{Every: job.Duration(time.Hour)},
			Task: job.Task{Kind: job.TaskCommand, Command: []string{"sh", "-c", script}}}.WithDefaults()
		slot := time.Now().UTC().Truncate(time.Second)
		w := job.Work{V: job.WorkVersion, ID: job.ExecutionID(name, slot), Job: name, ScheduledAt: slot, Trigger: job.TriggerSchedule, Spec: spec}
		data, err := json.Marshal(w)
		require.NoError(t, err)
		_, err = env.JS.Publish(t.Context(), names.WorkSubject(job.DefaultQueue, name, w.ID, false), data)
		require.NoError(t, err)
		var x job.Execution
		natstest.Eventually(t, 20*time.Second, func() bool {
			x, err = reader.Get(t.Context(), w.ID)
			return err == nil && x.State.Final()
		}, "the run ends")
		require.Equal(t, job.StateSucceeded, x.State, x.Error)
		r, err := store.Get(t.Context(), objstore.LogKey(name, w.ID, x.Attempt))
		require.NoError(t, err)
		defer r.Close()
		b, err := io.ReadAll(r)
		require.NoError(t, err)
		return b
	}

	require.Equal(t, "hello\n", string(run("small", "echo hello")))
	_, err = os.Lstat(logsDir)
	require.ErrorIs(t, err, fs.ErrNotExist, "a small log makes no directory")

	const size = 200_000 // above logcap.DefaultMemBytes
	got := run("large", "yes abcdefgh | head -c 200000")
	require.Len(t, got, size)
	require.Equal(t, bytes.Repeat([]byte("abcdefgh\n"), size/9+1)[:size], got)
	entries, err := os.ReadDir(logsDir)
	require.NoError(t, err, "the large log spilled to a directory")
	require.Empty(t, entries, "which is removed once the log is stored")
}
