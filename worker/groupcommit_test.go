package worker_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/worker"
)

// TestGroupCommitMode: auto batches where the events stream has one
// replica (every write there is its own fsync) and not where it has
// three; on and off hold whatever the replicas.
func TestGroupCommitMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mode     worker.GroupCommit
		replicas int
		want     bool
	}{
		{worker.GroupCommitAuto, 1, true},
		{worker.GroupCommitAuto, 3, false},
		{worker.GroupCommitOn, 3, true},
		{worker.GroupCommitOff, 1, false},
		{worker.GroupCommitAll, 1, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/R%d", cmp.Or(string(tt.mode), "auto"), tt.replicas), func(t *testing.T) {
			t.Parallel()
			var nc *nats.Conn
			if tt.replicas == 1 {
				nc = natstest.Connect(t, natstest.RunJetStream(t))
			} else {
				nc = natstest.ConnectCluster(t, natstest.RunCluster(t, 3))
			}
			topo := natstest.Topology(t)
			topo.Replicas = tt.replicas
			natstest.Ensure(t, natstest.JetStream(t, nc), topo)
			w, err := worker.New(nc, worker.Config{Topology: topo, Concurrency: 1, WorkDir: natstest.WorkDir(t), GroupCommit: tt.mode})
			require.NoError(t, err)
			require.NoError(t, w.Start(t.Context()))
			t.Cleanup(func() { _ = w.Stop(context.Background()) })
			natstest.Eventually(t, 30*time.Second, func() bool { return w.Ready() == nil }, "the worker is ready: %v", w.Ready())
			require.Equal(t, tt.want, w.GroupCommitting())
		})
	}
}

// The CLI's spellings, and a clear error for anything else.
func TestParseGroupCommit(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]worker.GroupCommit{"auto": worker.GroupCommitAuto, "": worker.GroupCommitAuto, "on": worker.GroupCommitOn, "off": worker.GroupCommitOff, "all": worker.GroupCommitAll} {
		got, err := worker.ParseGroupCommit(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	_, err := worker.ParseGroupCommit("yes")
	require.EqualError(t, err, `"yes" is none of auto, on, off`)
	_, err = worker.New(nil, worker.Config{GroupCommit: "yes"})
	require.EqualError(t, err, `worker: group commit: "yes" is none of auto, on, off`)
}

// TestGroupCommitRunsABurst: with every write through the batch queue, a
// burst of executions that start together shares atomic batches of claim
// writes and of events, and every execution runs once and records its
// result, as without batches.
func TestGroupCommitRunsABurst(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	names := env.Topo.Names()
	batched := map[string]int{} // subject prefix -> messages seen in a batch
	var mu sync.Mutex
	for _, subj := range []string{"$KV." + names.ClaimsBucket() + ".>", names.EventSubjects()} {
		sub, err := env.NC.Subscribe(subj, func(m *nats.Msg) {
			if m.Header.Get("Nats-Batch-Id") != "" {
				mu.Lock()
				batched[strings.SplitN(m.Subject, ".", 2)[0]]++
				mu.Unlock()
			}
		})
		require.NoError(t, err)
		t.Cleanup(func() { _ = sub.Unsubscribe() })
	}
	require.NoError(t, env.NC.Flush())

	const n = 24
	spec := job.Spec{Name: "burst", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}}.WithDefaults()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = job.AdHocExecutionID("burst", time.Now())
		w := job.Work{V: job.WorkVersion, ID: ids[i], Job: "burst", ScheduledAt: time.Now().UTC(), Trigger: job.TriggerEnqueue, Spec: spec}
		data, err := json.Marshal(w)
		require.NoError(t, err)
		_, err = env.JS.Publish(t.Context(), names.WorkSubject(job.DefaultQueue, "burst", w.ID, false), data)
		require.NoError(t, err)
	}
	startWorker(t, env, worker.Config{Concurrency: n, GroupCommit: worker.GroupCommitAll})

	reader := event.NewReader(env.NC, env.JS, names)
	for _, id := range ids {
		natstest.Eventually(t, 60*time.Second, func() bool {
			evs, err := reader.Events(t.Context(), id)
			require.NoError(t, err)
			kinds := map[event.Kind]int{}
			for _, e := range evs {
				kinds[e.Kind]++
			}
			return kinds[event.Succeeded] == 1 && kinds[event.Started] == 1
		}, "execution %s ran once and succeeded", id)
	}
	mu.Lock()
	defer mu.Unlock()
	require.Positive(t, batched["$KV"], "claim writes went in atomic batches: %v", batched)
	require.Positive(t, batched[strings.SplitN(names.EventSubjects(), ".", 2)[0]], "events went in atomic batches: %v", batched)
}
