package natsconn_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/devserver"
	"github.com/jetcron/jetcron/pkg/natsconn"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// A role's connection (Persistent) to a NATS server that is not up yet is
// returned at once and connects when the server starts; a CLI connection
// fails instead. Invalid options fail either way.
func TestPersistentConnectWaitsForTheServer(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	_, err = natsconn.Connect(natsconn.Options{URL: "nats://" + addr})
	require.Error(t, err, "a CLI connection fails when no server answers")
	_, err = natsconn.Connect(natsconn.Options{URL: "nats://" + addr, Persistent: true, Password: "x"})
	require.ErrorContains(t, err, "--password needs --user", "invalid options fail at once")

	nc, err := natsconn.Connect(natsconn.Options{URL: "nats://" + addr, Persistent: true})
	require.NoError(t, err, "a role's connection is returned before the server is up")
	t.Cleanup(nc.Close)
	require.False(t, nc.IsConnected())

	srv, err := devserver.New(devserver.Config{DataDir: t.TempDir(), Listen: addr})
	require.NoError(t, err)
	require.NoError(t, srv.Start(context.Background()))
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })
	natstest.Eventually(t, 10*time.Second, nc.IsConnected, "the connection is made once the server is up")
}
