package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/objstore"
	"github.com/jetcron/jetcron/worker"
)

// startLogWorker starts a worker whose log store is logs (nil: the NATS
// object store) and waits until it answers log reads.
func startLogWorker(t *testing.T, env natstest.Env, id string, logs objstore.Store) *worker.Worker {
	t.Helper()
	w, err := worker.New(natstest.Connect(t, env.Srv), worker.Config{ID: id, Topology: env.Topo, Concurrency: 1,
		WorkDir: natstest.WorkDir(t), Logs: logs})
	require.NoError(t, err)
	require.NoError(t, w.Start(t.Context()))
	t.Cleanup(func() { _ = w.Stop(context.Background()) })
	natstest.Eventually(t, 10*time.Second, func() bool {
		_, err := env.NC.Request(env.Topo.Names().LogStoreSubject(), []byte(`{}`), time.Second)
		return err == nil
	}, "the worker serves logs")
	return w
}

// readLog asks the workers for one chunk.
func readLog(t *testing.T, nc *nats.Conn, subject string, req any) *nats.Msg {
	t.Helper()
	data, ok := req.([]byte)
	if !ok {
		var err error
		data, err = json.Marshal(req)
		require.NoError(t, err)
	}
	m, err := nc.Request(subject, data, 10*time.Second)
	require.NoError(t, err)
	return m
}

// TestLogEndpoint: a worker serves a stored log in bounded chunks from any
// offset, and refuses every request that does not name an attempt's log.
func TestLogEndpoint(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	names := env.Topo.Names()
	startLogWorker(t, env, "w-logs", nil)

	// A stored log of 600,000 bytes, as a worker stores it.
	id := job.AdHocExecutionID("report", time.Now())
	var want bytes.Buffer
	for i := 0; want.Len() < 600_000; i++ {
		fmt.Fprintf(&want, "line %07d\n", i)
	}
	logs, err := env.JS.ObjectStore(t.Context(), names.LogsStore())
	require.NoError(t, err)
	_, err = logs.PutBytes(t.Context(), objstore.LogKey("report", id, 1), want.Bytes())
	require.NoError(t, err)

	var got bytes.Buffer
	chunks := 0
	for {
		m := readLog(t, env.NC, names.LogStoreSubject(), api.LogReadRequest{Execution: id, Attempt: 1, Offset: int64(got.Len())})
		require.Empty(t, m.Header.Get(micro.ErrorHeader))
		require.Equal(t, strconv.Itoa(got.Len()), m.Header.Get(api.LogHeaderOffset))
		require.Equal(t, strconv.Itoa(want.Len()), m.Header.Get(api.LogHeaderSize))
		require.LessOrEqual(t, len(m.Data), api.LogChunkMax, "bounded chunks")
		got.Write(m.Data)
		chunks++
		if m.Header.Get(api.LogHeaderEOF) != "" {
			break
		}
		require.Less(t, chunks, 10)
	}
	require.Equal(t, want.String(), got.String())
	require.Equal(t, 3, chunks, "600,000 bytes in chunks of 256 KiB")

	// A range in the middle, and past the end.
	m := readLog(t, env.NC, names.LogStoreSubject(), api.LogReadRequest{Execution: id, Attempt: 1, Offset: 13, Max: 12})
	require.Equal(t, want.String()[13:25], string(m.Data))
	require.Empty(t, m.Header.Get(api.LogHeaderEOF))
	m = readLog(t, env.NC, names.LogStoreSubject(), api.LogReadRequest{Execution: id, Attempt: 1, Offset: 10 << 20})
	require.Empty(t, m.Data)
	require.NotEmpty(t, m.Header.Get(api.LogHeaderEOF))

	// Hostile requests: each is refused with what is wrong, and the
	// worker goes on serving.
	for name, tc := range map[string]struct {
		req  any
		code string
		says string
	}{
		"NotJSON":          {[]byte("{"), "400", "bad request"},
		"Oversized":        {[]byte(`{"execution_id":"` + strings.Repeat("a", 5000) + `"}`), "400", "over 4096 bytes"},
		"PathTraversal":    {api.LogReadRequest{Execution: "../../etc/passwd", Attempt: 1}, "400", "execution_id"},
		"SlashInJob":       {api.LogReadRequest{Execution: "a/b-20260101T000000Z", Attempt: 1}, "400", "execution_id"},
		"NoExecution":      {api.LogReadRequest{Attempt: 1}, "400", "execution_id"},
		"AttemptZero":      {api.LogReadRequest{Execution: id}, "400", "attempt"},
		"AttemptHuge":      {api.LogReadRequest{Execution: id, Attempt: 1 << 30}, "400", "attempt"},
		"NegativeOffset":   {api.LogReadRequest{Execution: id, Attempt: 1, Offset: -1}, "400", "offset"},
		"NegativeMax":      {api.LogReadRequest{Execution: id, Attempt: 1, Max: -5}, "400", "max"},
		"OtherAttempt":     {api.LogReadRequest{Execution: id, Attempt: 2}, "404", "no stored log"},
		"UnknownExecution": {api.LogReadRequest{Execution: job.AdHocExecutionID("other", time.Now()), Attempt: 1}, "404", "no stored log"},
	} {
		m := readLog(t, env.NC, names.LogStoreSubject(), tc.req)
		require.Equal(t, tc.code, m.Header.Get(micro.ErrorCodeHeader), name)
		require.Contains(t, m.Header.Get(micro.ErrorHeader), tc.says, name)
		require.Empty(t, m.Data, name)
	}
	m = readLog(t, env.NC, names.LogStoreSubject(), api.LogReadRequest{Execution: id, Attempt: 1, Max: 5})
	require.Equal(t, "line ", string(m.Data), "still serving")
}

// TestStoreUnavailable: a worker whose log store does not answer says so
// on readiness and in one event, however many reads fail; a client reading
// a log through it gets a clear error.
func TestStoreUnavailable(t *testing.T) {
	t.Parallel()
	env := natstest.Ensured(t)
	names := env.Topo.Names()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := l.Addr().String()
	l.Close()
	loc, err := objstore.ParseLocation("s3://gone?secure=false&endpoint=" + closed)
	require.NoError(t, err)
	s3, err := objstore.NewS3(loc, objstore.Credentials{AccessKey: "k", SecretKey: "s"})
	require.NoError(t, err)
	w := startLogWorker(t, env, "w-nostore", s3)
	require.NoError(t, w.Ready())

	cl, err := client.New(natstest.Connect(t, env.Srv), client.WithNamespace(env.Topo.Namespace))
	require.NoError(t, err)
	for range 3 {
		err = cl.CopyLog(t.Context(), job.AdHocExecutionID("report", time.Now()), 1, &bytes.Buffer{})
		require.ErrorIs(t, err, api.ErrUnavailable)
		require.ErrorContains(t, err, "log store does not answer")
	}
	require.ErrorContains(t, w.Ready(), "store: logs")
	require.ErrorContains(t, w.Ready(), closed)

	// One event, whose subject names no job.
	stream, err := env.JS.Stream(t.Context(), names.EventsStream())
	require.NoError(t, err)
	subject := names.EventSubject(event.WorkerToken, event.JobToken, string(event.StoreUnavailable))
	var e event.Event
	natstest.Eventually(t, 10*time.Second, func() bool {
		m, err := stream.GetLastMsgForSubject(t.Context(), subject)
		if err != nil {
			return false
		}
		var ok bool
		e, ok, err = event.DecodeMsg(m.Subject, m.Data)
		return err == nil && ok
	}, "a store_unavailable event")
	require.Equal(t, "w-nostore", e.Worker)
	require.Equal(t, "logs", e.Reason)
	require.Contains(t, e.Error, closed)
	info, err := stream.Info(t.Context(), jetstream.WithSubjectFilter(subject))
	require.NoError(t, err)
	require.Equal(t, uint64(1), info.State.Msgs, "one event for three failed reads")

	// Readers of every event (`exec watch`, the web UI) get it.
	wctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	seen := false
	for e, err := range cl.Watch(wctx, event.WatchOptions{FromSeq: 1}) {
		require.NoError(t, err)
		if e.Kind == event.StoreUnavailable && e.Worker == "w-nostore" {
			seen = true
			break
		}
	}
	require.True(t, seen, "the watch yields the worker event")
}
