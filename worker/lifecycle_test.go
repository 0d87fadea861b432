package worker_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/lifecycle"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/worker"
)

// TestLifecycle: the worker keeps the lifecycle contract: Stop before
// Start does nothing, a second Start is refused with ErrAlreadyStarted,
// and Stop is idempotent.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	w, err := worker.New(natstest.Connect(t, env.Srv), worker.Config{Topology: env.Topo, Concurrency: 1, WorkDir: natstest.WorkDir(t)})
	require.NoError(t, err)
	require.NoError(t, w.Stop(t.Context()), "stop before start")
	require.NoError(t, w.Start(t.Context()))
	require.ErrorIs(t, w.Start(t.Context()), lifecycle.ErrAlreadyStarted)
	require.NoError(t, w.Stop(context.Background()))
	require.NoError(t, w.Stop(context.Background()), "stop twice")
}
