package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/scheduler"
	"github.com/jetcron/jetcron/web"
	"github.com/jetcron/jetcron/worker"
)

// system is jetcron with its web server, running in the test process.
type system struct {
	t      *testing.T
	srv    *natstest.Server
	topo   topology.Config
	client *client.Client
	web    *web.Server
	base   string // http://127.0.0.1:PORT
}

// options of a system.
type options struct {
	noScheduler bool // no scheduler nor worker: the API has no responder
	cfg         web.Config
}

func start(t *testing.T, o options) *system {
	t.Helper()
	srv := natstest.RunJetStream(t)
	topo := natstest.Topology(t)
	s := &system{t: t, srv: srv, topo: topo}
	if !o.noScheduler {
		sc, err := scheduler.New(natstest.Connect(t, srv), scheduler.Config{Topology: topo, FlushInterval: 200 * time.Millisecond})
		require.NoError(t, err)
		require.NoError(t, sc.Start(t.Context()))
		t.Cleanup(func() { _ = sc.Stop(context.Background()) })
		w, err := worker.New(natstest.Connect(t, srv), worker.Config{Topology: topo, Concurrency: 3, WorkDir: natstest.WorkDir(t)})
		require.NoError(t, err)
		require.NoError(t, w.Start(t.Context()))
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = w.Stop(ctx)
		})
		natstest.Eventually(t, 10*time.Second, sc.Leading, "the scheduler leads")
	}
	s.client, s.web = serve(t, natstest.Connect(t, srv), topo, o.cfg)
	s.base = strings.TrimSuffix(s.web.URL(), "/")
	return s
}

// serve starts a web server with a client on nc.
func serve(t *testing.T, nc *nats.Conn, topo topology.Config, cfg web.Config) (*client.Client, *web.Server) {
	t.Helper()
	cl, err := client.New(nc, client.WithNamespace(topo.Namespace))
	require.NoError(t, err)
	cfg.Client, cfg.Addr = cl, "127.0.0.1:0"
	ws, err := web.New(cfg)
	require.NoError(t, err)
	require.NoError(t, ws.Start(t.Context()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, ws.Stop(ctx))
	})
	return cl, ws
}

// response is an HTTP answer, read whole.
type response struct {
	status int
	header http.Header
	body   []byte
}

// apiError decodes the body as an API error.
func (r response) apiError(t *testing.T) api.Error {
	t.Helper()
	require.Equal(t, "application/json; charset=utf-8", r.header.Get("Content-Type"), "an error is JSON: %s", r.body)
	var e api.Error
	require.NoError(t, json.Unmarshal(r.body, &e), string(r.body))
	require.Equal(t, r.status, e.Code, "the body's code is the status")
	require.NotEmpty(t, e.Message)
	return e
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), string(r.body))
}

// noRedirect is an HTTP client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// call sends a request; a non-nil body other than []byte or string is sent as JSON.
func (s *system) call(method, path string, body any, header ...string) response {
	s.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
		ctype = "application/json"
	case []byte:
		rd = bytes.NewReader(b)
		ctype = "application/json"
	default:
		data, err := json.Marshal(b)
		require.NoError(s.t, err)
		rd = bytes.NewReader(data)
		ctype = "application/json"
	}
	ctx, cancel := context.WithTimeout(s.t.Context(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	require.NoError(s.t, err)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if strings.EqualFold(header[i], "Host") {
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	res, err := noRedirect.Do(req)
	require.NoError(s.t, err)
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	require.NoError(s.t, err)
	return response{status: res.StatusCode, header: res.Header, body: data}
}

// createJob creates a job through the HTTP API.
func (s *system) createJob(spec job.Spec) web.Job {
	s.t.Helper()
	r := s.call(http.MethodPost, "/api/v1/jobs", spec)
	require.Equal(s.t, http.StatusCreated, r.status, string(r.body))
	var resp api.CreateResponse
	r.json(s.t, &resp)
	return web.Job{JobView: resp.Job}
}

// run runs a job through the HTTP API and returns the execution ID.
func (s *system) run(name string) string {
	s.t.Helper()
	r := s.call(http.MethodPost, "/api/v1/jobs/"+name+"/run", nil)
	require.Equal(s.t, http.StatusAccepted, r.status, string(r.body))
	var resp api.RunResponse
	r.json(s.t, &resp)
	return resp.ExecutionID
}

// waitState waits until an execution reaches one of states.
func (s *system) waitState(id string, states ...job.State) job.Execution {
	s.t.Helper()
	var x job.Execution
	natstest.Eventually(s.t, 20*time.Second, func() bool {
		r := s.call(http.MethodGet, "/api/v1/executions/"+id, nil)
		if r.status != http.StatusOK {
			return false
		}
		r.json(s.t, &x)
		return slices.Contains(states, x.State)
	}, "execution %s reaches %v", id, states)
	return x
}

func every(d time.Duration) job.Schedule { return job.Schedule{Every: job.Duration(d)} }

func command(args ...string) job.Task { return job.Task{Kind: job.TaskCommand, Command: args} }

// sse reads server-sent events from a stream.
type sse struct {
	res *http.Response
	sc  *bufio.Scanner
}

// sseEvent is one server-sent event.
type sseEvent struct {
	id, event, data string
}

func (s *system) stream(path string, header ...string) *sse {
	s.t.Helper()
	ctx, cancel := context.WithCancel(s.t.Context())
	s.t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	require.NoError(s.t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	s.t.Cleanup(func() { _ = res.Body.Close() })
	require.Equal(s.t, http.StatusOK, res.StatusCode)
	require.Equal(s.t, "text/event-stream", res.Header.Get("Content-Type"))
	return &sse{res: res, sc: bufio.NewScanner(res.Body)}
}

// next returns the next event (comments and retry lines skipped).
func (e *sse) next(t *testing.T) sseEvent {
	t.Helper()
	var ev sseEvent
	for e.sc.Scan() {
		line := e.sc.Text()
		switch {
		case line == "":
			if ev.data != "" {
				return ev
			}
		case strings.HasPrefix(line, "id: "):
			ev.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			ev.event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.data = strings.TrimPrefix(line, "data: ")
		}
	}
	require.FailNow(t, "the event stream ended", "%v", e.sc.Err())
	return ev
}

// until reads events until one satisfies ok, and returns it.
func (e *sse) until(t *testing.T, ok func(web.Event) bool) web.Event {
	t.Helper()
	for {
		ev := e.next(t)
		var we web.Event
		require.NoError(t, json.Unmarshal([]byte(ev.data), &we), ev.data)
		require.Equal(t, ev.id, strconv.FormatUint(we.Seq, 10), "the id is the sequence")
		if ok(we) {
			return we
		}
	}
}
