package devserver_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/devserver"
	"github.com/jetcron/jetcron/pkg/lifecycle"
)

// TestLifecycle: the dev server keeps the lifecycle contract: Stop before
// Start does nothing, a second Start is refused with ErrAlreadyStarted,
// Stop is idempotent, and a stopped server starts again on its store.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	srv, err := devserver.New(devserver.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", NoSync: true})
	require.NoError(t, err)
	require.NoError(t, srv.Stop(t.Context()), "stop before start")
	require.NoError(t, srv.Start(t.Context()))
	require.ErrorIs(t, srv.Start(t.Context()), lifecycle.ErrAlreadyStarted)
	require.NoError(t, srv.Stop(context.Background()))
	require.NoError(t, srv.Stop(context.Background()), "stop twice")
	require.NoError(t, srv.Start(t.Context()), "started again")
	require.NoError(t, srv.Stop(context.Background()))
}
