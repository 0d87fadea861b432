package web_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/lifecycle"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/web"
)

func TestServerLifecycle(t *testing.T) {
	t.Parallel()
	_, err := web.New(web.Config{})
	require.ErrorContains(t, err, "Client is required")

	srv := natstest.RunJetStream(t)
	cl, err := client.New(natstest.Connect(t, srv))
	require.NoError(t, err)
	_, err = web.New(web.Config{Client: cl, Addr: "8080"})
	require.ErrorContains(t, err, "not host:port")

	ws, err := web.New(web.Config{Client: cl, Addr: "127.0.0.1:0"})
	require.NoError(t, err)
	require.NoError(t, ws.Stop(t.Context()), "stop before start")
	require.Empty(t, ws.URL())
	require.NoError(t, ws.Start(t.Context()))
	require.ErrorIs(t, ws.Start(t.Context()), lifecycle.ErrAlreadyStarted)
	url := ws.URL()
	require.Regexp(t, `^http://127\.0\.0\.1:\d+/$`, url)

	// An open event stream does not hold up the stop.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ws.URL()+"api/v1/events", nil)
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)

	require.NoError(t, ws.Stop(t.Context()))
	require.NoError(t, ws.Stop(t.Context()), "stop twice")
	require.Empty(t, ws.URL())
	_, err = http.Get(url + "healthz")
	require.Error(t, err, "stopped: nothing listens")

	require.NoError(t, ws.Start(t.Context()), "started again")
	require.NoError(t, ws.Stop(context.Background()))
}
