package scheduler_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/lifecycle"
	"github.com/jetcron/jetcron/scheduler"
)

// TestLifecycle: the scheduler keeps the lifecycle contract: Stop before
// Start does nothing, a second Start is refused with ErrAlreadyStarted,
// and Stop is idempotent.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s, err := scheduler.New(b.nc, scheduler.Config{ID: "lifecycle", Topology: b.topo})
	require.NoError(t, err)
	require.NoError(t, s.Stop(t.Context()), "stop before start")
	require.NoError(t, s.Start(t.Context()))
	require.ErrorIs(t, s.Start(t.Context()), lifecycle.ErrAlreadyStarted)
	require.NoError(t, s.Stop(context.Background()))
	require.NoError(t, s.Stop(context.Background()), "stop twice")
}
