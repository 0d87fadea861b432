package worker_test

import (
	"cmp"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

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
