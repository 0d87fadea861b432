package authz_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/notify"
	"github.com/jetcron/jetcron/pkg/topology"
)

// notificationSinks: an API client defines a sink; the scheduler, under
// its own user, delivers an alert to it through the shared consumer,
// publishes on a subject sink, and records the deliveries.
func notificationSinks(t *testing.T, e *env, cl *client.Client, sched func() string) {
	ctx := t.Context()
	got := make(chan string, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- string(b)
	}))
	defer hook.Close()
	_, err := cl.CreateNotify(ctx, notify.Sink{Name: "ops", Webhook: hook.URL})
	require.NoError(t, err)
	_, err = cl.CreateNotify(ctx, notify.Sink{Name: "bus", Subject: "jetcron.notify.ops"})
	require.NoError(t, err)
	d, err := cl.TestNotify(ctx, "ops")
	require.NoError(t, err)
	require.Equal(t, notify.StatusDelivered, d.Status, d.Error)
	<-got

	js, err := jetstream.New(e.connect(roleAdmin))
	require.NoError(t, err)
	_, err = alert.Publish(ctx, js, topology.MustNames(""), alert.Alert{Job: "hello", Health: alert.Late, Reason: "late", Time: time.Now()})
	require.NoError(t, err)
	select {
	case body := <-got:
		require.Contains(t, body, `"job":"hello"`)
	case <-time.After(30 * time.Second):
		t.Fatalf("no alert delivered\nscheduler:\n%s", sched())
	}
	natstest.Eventually(t, 15*time.Second, func() bool {
		v, err := cl.GetNotify(ctx, "bus")
		return err == nil && len(v.Deliveries) == 1 && v.Deliveries[0].Status == notify.StatusDelivered
	}, "the subject sink published\nscheduler:\n%s", sched())
}
