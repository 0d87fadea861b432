package e2e

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/scheduler"
	"github.com/jetcron/jetcron/web"
	"github.com/jetcron/jetcron/worker"
)

// roles are a scheduler, a worker and a web server started on a server in
// any order.
type roles struct {
	*system
	wk  *worker.Worker
	web *web.Server
}

func startRoles(t *testing.T, srv *natstest.Server, topo topology.Config, skipEnsure bool) *roles {
	t.Helper()
	nc := natstest.Connect(t, srv)
	s := &system{t: t, srv: srv, nc: nc, topo: topo}
	r := &roles{system: s}
	wk, err := worker.New(natstest.Connect(t, srv), worker.Config{Topology: topo, Concurrency: 2, WorkDir: natstest.WorkDir(t)})
	require.NoError(t, err)
	require.NoError(t, wk.Start(t.Context()), "a worker starts before the resources exist")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = wk.Stop(ctx)
	})
	r.wk = wk
	cl, err := client.New(nc, client.WithNamespace(topo.Namespace))
	require.NoError(t, err)
	s.client = cl
	r.web, err = web.New(web.Config{Client: cl, Addr: "127.0.0.1:0"})
	require.NoError(t, err)
	require.NoError(t, r.web.Start(t.Context()), "the web role starts before the resources exist")
	t.Cleanup(func() { _ = r.web.Stop(context.Background()) })
	sc, err := scheduler.New(natstest.Connect(t, srv), scheduler.Config{Topology: topo, SkipEnsure: skipEnsure, FlushInterval: 200 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, sc.Start(t.Context()), "a scheduler starts before the resources exist")
	t.Cleanup(func() { _ = sc.Stop(context.Background()) })
	s.sched = sc
	return r
}

// readyz returns the web role's /readyz status and body.
func (r *roles) readyz() (int, string) {
	res, err := http.Get(r.web.URL() + "readyz")
	require.NoError(r.t, err)
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// ready waits until every role is ready and the scheduler leads.
func (r *roles) ready(d time.Duration) {
	r.t.Helper()
	natstest.Eventually(r.t, d, func() bool {
		code, _ := r.readyz()
		return r.wk.Ready() == nil && r.sched.Ready() == nil && r.sched.Leading() && code == http.StatusOK
	}, "every role becomes ready: worker %v, scheduler %v", r.wk.Ready, r.sched.Ready)
}

// runsAJob creates a job and waits until it succeeds.
func (r *roles) runsAJob(name string) {
	r.t.Helper()
	r.ok("job", "create", name, "--every", "1s", "--", "true")
	r.waitFor(name, 30*time.Second, job.StateSucceeded)
}

// A worker, the web role and a scheduler with --skip-ensure started before
// anyone made the resources wait for them, say so in their readiness, and
// carry on by themselves once an admin makes them; the same again after
// NATS restarts from an empty store.
func TestRolesWaitForTheResources(t *testing.T) {
	t.Parallel()
	srv := natstest.RunJetStream(t)
	topo := natstest.Topology(t)
	r := startRoles(t, srv, topo, true)

	notReady := func(err error) bool { return errors.Is(err, topology.ErrNotReady) }
	natstest.Eventually(t, 10*time.Second, func() bool { return notReady(r.wk.Ready()) }, "the worker says it waits for the resources")
	natstest.Eventually(t, 10*time.Second, func() bool { return notReady(r.sched.Ready()) }, "the scheduler says it waits for the resources")
	natstest.Eventually(t, 10*time.Second, func() bool {
		code, body := r.readyz()
		return code == http.StatusServiceUnavailable && strings.Contains(body, "resources not found")
	}, "the web role's /readyz says it waits for the resources")
	require.False(t, r.sched.Leading())

	natstest.Ensure(t, natstest.JetStream(t, r.nc), topo) // jetcron admin ensure
	r.ready(30 * time.Second)
	r.runsAJob("after-ensure")

	// NATS loses its store: with --skip-ensure nobody makes the resources
	// again, so every role waits again, saying so, until an admin does.
	srv.RestartEmpty()
	natstest.Eventually(t, 30*time.Second, func() bool { return notReady(r.wk.Ready()) }, "the worker says it waits for the resources again")
	natstest.Eventually(t, 30*time.Second, func() bool { return notReady(r.sched.Ready()) }, "the scheduler says it waits for the resources again")
	natstest.Eventually(t, 30*time.Second, func() bool {
		code, body := r.readyz()
		return code == http.StatusServiceUnavailable && strings.Contains(body, "resources not found")
	}, "the web role's /readyz says it waits for the resources again")
	natstest.Ensure(t, natstest.JetStream(t, r.nc), topo)
	r.ready(30 * time.Second)
	r.runsAJob("after-second-ensure")
}

// NATS restarted from an empty store (streams, buckets and consumers gone):
// the scheduler makes the resources again, the worker's pull loop and the
// web role's events watch find them again, and jobs run again.
func TestRolesRecoverFromAnEmptyNATS(t *testing.T) {
	t.Parallel()
	srv := natstest.RunJetStream(t)
	topo := natstest.Topology(t)
	natstest.Ensure(t, natstest.JetStream(t, natstest.Connect(t, srv)), topo)
	r := startRoles(t, srv, topo, false)
	r.ready(30 * time.Second)
	r.runsAJob("before")
	natstest.Eventually(t, 30*time.Second, func() bool { return len(r.executions("before")) >= 4 },
		"the events stream grows beyond the few events of one run")

	srv.RestartEmpty()
	// The roles may still call themselves ready before they notice the
	// restart: wait for the scheduler to have made the resources again.
	js := natstest.JetStream(t, natstest.Connect(t, srv))
	natstest.Eventually(t, 60*time.Second, func() bool {
		_, err := js.KeyValue(t.Context(), topo.Names().JobsBucket())
		return err == nil && topology.Check(t.Context(), js, topo.Names()) == nil
	}, "the scheduler makes the resources again")
	r.ready(60 * time.Second)
	events := r.streamEvents()
	// One run, triggered: its events are the first few of the new stream,
	// which a web role following the old stream's sequences would skip.
	r.ok("job", "create", "after", "--every", "24h", "--", "true")
	r.ok("job", "run", "after")
	r.waitFor("after", 30*time.Second, job.StateSucceeded)
	select {
	case <-events.seen(`"job":"after"`):
	case <-time.After(30 * time.Second):
		t.Fatal("the web role's event stream shows no event of the job run after the restart")
	}
}

// eventStream is the web role's live event stream (server-sent events).
type eventStream struct{ body io.Reader }

// streamEvents opens the web role's live event stream.
func (r *roles) streamEvents() *eventStream {
	r.t.Helper()
	ctx, cancel := context.WithCancel(r.t.Context())
	r.t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.web.URL()+"api/v1/events", nil)
	require.NoError(r.t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(r.t, err)
	r.t.Cleanup(func() { _ = res.Body.Close() })
	require.Equal(r.t, http.StatusOK, res.StatusCode)
	return &eventStream{body: res.Body}
}

// seen is closed once a data line containing s arrives.
func (e *eventStream) seen(s string) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(e.body)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "data: ") && strings.Contains(line, s) {
				close(ch)
				return
			}
		}
	}()
	return ch
}
