package worker_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/worker"
)

// handBackEnv is a worker whose checkpoints bucket is gone when a run of a
// job without retries arrives: the attempt cannot read the checkpoint, so
// its task cannot start.
type handBackEnv struct {
	env    natstest.Env
	id     string
	marker string
	reader *event.Reader
}

func startHandBack(t *testing.T, topo topology.Config) handBackEnv {
	t.Helper()
	srv := natstest.RunJetStream(t)
	nc := natstest.Connect(t, srv)
	env := natstest.Env{Srv: srv, NC: nc, JS: natstest.JetStream(t, nc), Topo: topo}
	natstest.Ensure(t, env.JS, topo)
	ctx := t.Context()
	names := topo.Names()

	wk := startWorker(t, env, worker.Config{})
	natstest.Eventually(t, 20*time.Second, func() bool { return wk.Ready() == nil }, "the worker is ready")
	require.NoError(t, env.JS.DeleteKeyValue(ctx, names.CheckpointsBucket()))

	marker := filepath.Join(natstest.SharedDir(t), "ran")
	w, _ := publishSlot(t, env.JS, names, job.Spec{Name: "refresh", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"sh", "-c", "echo run >> " + marker}}})
	return handBackEnv{env: env, id: w.ID, marker: marker, reader: event.NewReader(nc, env.JS, names)}
}

// kinds returns the execution's events as "kind#attempt".
func (h handBackEnv) kinds(t *testing.T) ([]string, []event.Event) {
	t.Helper()
	evs, err := h.reader.Events(t.Context(), h.id)
	require.NoError(t, err)
	var out []string
	for _, e := range evs {
		out = append(out, string(e.Kind)+"#"+strconv.Itoa(e.Attempt))
	}
	return out, evs
}

// TestAnAttemptThatCannotStartHandsTheRunBack: the fault suite lost slots
// of jobs without retries while a NATS node was killed: the attempt could
// not read its job's checkpoint, recorded the run failed, and the command
// never ran. Such an attempt now hands the run back without spending a
// retry; once the store is back, the next delivery runs it.
func TestAnAttemptThatCannotStartHandsTheRunBack(t *testing.T) {
	t.Parallel()
	h := startHandBack(t, natstest.Topology(t))
	natstest.Eventually(t, 20*time.Second, func() bool {
		got, _ := h.kinds(t)
		return len(got) >= 2
	}, "the first attempt ends")
	got, evs := h.kinds(t)
	require.Equal(t, []string{"started#1", "retrying#1"}, got[:2], "the attempt hands the run back instead of failing it")
	require.Contains(t, evs[1].Error, "did not start: read the checkpoint of job refresh")
	require.NotNil(t, evs[1].NextAttempt)
	_, err := os.Stat(h.marker)
	require.ErrorIs(t, err, os.ErrNotExist, "the command did not run")

	natstest.Ensure(t, h.env.JS, h.env.Topo) // the store is back
	natstest.Eventually(t, 30*time.Second, func() bool {
		x, err := h.reader.Get(t.Context(), h.id)
		return err == nil && x.State.Final()
	}, "the run ends")
	x, err := h.reader.Get(t.Context(), h.id)
	require.NoError(t, err)
	require.Equal(t, job.StateSucceeded, x.State, "the job has no retries, and the run was not failed")
	require.Contains(t, x.Notes, "attempt 1 did not start, handed back: "+strings.TrimPrefix(evs[1].Error, event.DidNotStart))
	out, err := os.ReadFile(h.marker)
	require.NoError(t, err)
	require.Equal(t, "run\n", string(out), "the command ran once")
	got, _ = h.kinds(t)
	for _, k := range got {
		require.NotContains(t, k, "failed")
		require.NotContains(t, k, "abandoned", "a hand back is no lost attempt")
	}
}

// TestTheLastDeliveryRecordsWhyTheRunNeverStarted: a run that can never
// start ends, with its reason, on the queue's last delivery instead of
// waiting forever.
func TestTheLastDeliveryRecordsWhyTheRunNeverStarted(t *testing.T) {
	t.Parallel()
	topo := natstest.Topology(t)
	topo.MaxDeliver = 2
	h := startHandBack(t, topo)
	natstest.Eventually(t, 30*time.Second, func() bool {
		x, err := h.reader.Get(t.Context(), h.id)
		return err == nil && x.State.Final()
	}, "the run ends")
	got, evs := h.kinds(t)
	require.Equal(t, []string{"started#1", "retrying#1", "started#2", "failed#2"}, got)
	require.Contains(t, evs[3].Error, "read the checkpoint of job refresh")
	_, err := os.Stat(h.marker)
	require.ErrorIs(t, err, os.ErrNotExist, "the command never ran")
}
