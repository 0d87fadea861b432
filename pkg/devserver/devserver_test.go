package devserver_test

import (
	"context"
	"net"
	"testing"
	"time"

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

// TestAddressInUse: a listen address that is taken fails Start at once,
// naming the address, instead of after the whole ready timeout.
func TestAddressInUse(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	srv, err := devserver.New(devserver.Config{DataDir: t.TempDir(), Listen: taken.Addr().String(), NoSync: true})
	require.NoError(t, err)
	begin := time.Now()
	err = srv.Start(t.Context())
	require.ErrorContains(t, err, taken.Addr().String())
	require.ErrorContains(t, err, "address already in use")
	require.Less(t, time.Since(begin), 10*time.Second, "not the 30 s ready timeout")
	require.NoError(t, srv.Stop(context.Background()))
}
