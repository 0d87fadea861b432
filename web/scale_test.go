package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/devserver"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/web"
)

// TestPagingAtScale pages a job with 100,000 executions: the newest page,
// a page deep in the history and the job's summary each answer fast.
func TestPagingAtScale(t *testing.T) {
	if testing.Short() {
		t.Skip("publishes 100,000 events")
	}
	t.Parallel()
	const n = 100_000
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	slot := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }
	// A server that does not fsync every write: filling the stream is
	// set-up, not what is measured.
	srv, err := devserver.New(devserver.Config{DataDir: t.TempDir(), Listen: "127.0.0.1:0", NoSync: true})
	require.NoError(t, err)
	require.NoError(t, srv.Start(t.Context()))
	t.Cleanup(func() { _ = srv.Stop(context.Background()) })
	nc, err := nats.Connect(srv.ClientURL())
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	js := natstest.JetStream(t, nc)
	topo := natstest.Topology(t)
	natstest.Ensure(t, js, topo)
	pub := event.NewPublisher(js, topo.Names())
	began := time.Now()
	for i := range n {
		code, ms := 0, int64(10+i%90)
		state := event.Succeeded
		if i%10 == 3 {
			code, state = 1, event.Failed
		}
		at := slot(i)
		m, err := pub.Msg(event.Event{Kind: state, Job: "big", Execution: job.ExecutionID("big", at), Time: at.Add(time.Second),
			ScheduledAt: event.Slot(at), Attempt: 1, Worker: "w1", ExitCode: &code, DurationMS: &ms})
		require.NoError(t, err)
		_, err = js.PublishMsgAsync(m)
		require.NoError(t, err)
		if i%2000 == 1999 {
			<-js.PublishAsyncComplete() // keep the pipeline within its bound
		}
	}
	<-js.PublishAsyncComplete()
	t.Logf("published %d executions in %s", n, time.Since(began).Round(time.Millisecond))
	s := &system{t: t, topo: topo}
	s.client, s.web = serve(t, nc, topo, web.Config{})
	s.base = strings.TrimSuffix(s.web.URL(), "/")

	timed := func(path string) (response, time.Duration) {
		began := time.Now()
		r := s.call(http.MethodGet, path, nil)
		return r, time.Since(began)
	}
	r, took := timed("/api/v1/jobs/big/executions?limit=50")
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var page web.ExecutionPage
	r.json(t, &page)
	require.Len(t, page.Executions, 50)
	require.Equal(t, job.ExecutionID("big", slot(n-1)), page.Executions[0].ID, "newest first")
	require.Equal(t, job.ExecutionID("big", slot(n-50)), page.Executions[49].ID)
	t.Logf("newest page: %s", took)
	// Measured on two cores: about 20 ms for the newest page and 300 ms half
	// way down; the race detector makes both several times slower.
	limit := 2 * time.Second
	if raceEnabled {
		limit = 10 * time.Second
	}
	require.Less(t, took, limit)

	// Deep in the history: a cursor half way down.
	deep := page.Next - n/2
	r, took = timed("/api/v1/jobs/big/executions?limit=50&before=" + strconv.FormatUint(deep, 10))
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var mid web.ExecutionPage
	r.json(t, &mid)
	require.Len(t, mid.Executions, 50)
	require.Less(t, mid.Executions[0].Seq, deep)
	require.Equal(t, mid.Executions[0].Seq-49, mid.Executions[49].Seq, "a contiguous page")
	t.Logf("page half way down: %s", took)
	require.Less(t, took, limit)

	// The last page.
	r, took = timed("/api/v1/jobs/big/executions?limit=50&before=30")
	require.Equal(t, http.StatusOK, r.status, string(r.body))
	var last web.ExecutionPage
	r.json(t, &last)
	require.NotEmpty(t, last.Executions)
	require.Zero(t, last.Next)
	require.Equal(t, job.ExecutionID("big", slot(0)), last.Executions[len(last.Executions)-1].ID, "the oldest")
	require.Less(t, took, limit)
}
