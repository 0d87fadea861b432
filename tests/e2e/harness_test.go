package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/cmd/jetcron/cli"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/scheduler"
	"github.com/jetcron/jetcron/worker"
)

// system is jetcron running in the test process.
type system struct {
	t      *testing.T
	srv    *natstest.Server
	nc     *nats.Conn
	topo   topology.Config
	client *client.Client
	sched  *scheduler.Scheduler
	mu     sync.Mutex
	wks    []*worker.Worker
}

type options struct {
	workers     int
	concurrency int
	queues      []string
	maxDeliver  int
	// traces, when set, is an OTLP/HTTP URL the scheduler and workers
	// export their spans to.
	traces string
	// prune makes the leader apply jobs' retention every 200ms, to
	// executions that ended at any time.
	prune bool
}

func start(t *testing.T, o options) *system {
	t.Helper()
	srv := natstest.RunJetStream(t)
	nc := natstest.Connect(t, srv)
	topo := natstest.Topology(t)
	if o.maxDeliver > 0 {
		topo.MaxDeliver = o.maxDeliver
	}
	s := &system{t: t, srv: srv, nc: nc, topo: topo}
	cfg := scheduler.Config{Topology: topo, FlushInterval: 200 * time.Millisecond,
		Tracer: testTracer(t, o.traces, topo.Namespace, "jetcron-scheduler")}
	if o.prune {
		cfg.PruneInterval, cfg.PruneFloor = 200*time.Millisecond, time.Nanosecond
	}
	sc, err := scheduler.New(natstest.Connect(t, srv), cfg)
	require.NoError(t, err)
	require.NoError(t, sc.Start(t.Context()))
	t.Cleanup(func() { _ = sc.Stop(context.Background()) })
	s.sched = sc
	if o.workers == 0 {
		o.workers = 1
	}
	for range max(o.workers, 0) {
		s.addWorker(o)
	}
	cl, err := client.New(nc, client.WithNamespace(topo.Namespace))
	require.NoError(t, err)
	s.client = cl
	natstest.Eventually(t, 10*time.Second, sc.Leading, "the scheduler leads")
	return s
}

func (s *system) addWorker(o options) *worker.Worker {
	s.t.Helper()
	w, err := worker.New(natstest.Connect(s.t, s.srv), worker.Config{
		Topology: s.topo, Concurrency: max(o.concurrency, 2), Queues: o.queues, WorkDir: natstest.WorkDir(s.t),
		Tracer: testTracer(s.t, o.traces, s.topo.Namespace, "jetcron-worker"),
	})
	require.NoError(s.t, err)
	require.NoError(s.t, w.Start(s.t.Context()))
	s.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.Stop(ctx)
	})
	s.mu.Lock()
	s.wks = append(s.wks, w)
	s.mu.Unlock()
	return w
}

// result of a command line run.
type result struct {
	out, err string
	code     int
}

// cli runs the command line against the system.
func (s *system) cli(args ...string) result {
	s.t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"jetcron", "--nats", s.srv.URL(), "--namespace", s.topo.Namespace}, args...)
	ctx, cancel := context.WithTimeout(s.t.Context(), time.Minute)
	defer cancel()
	code := cli.Run(ctx, cli.Deps{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader("")}, full)
	return result{out: out.String(), err: errb.String(), code: code}
}

// ok runs the command line and requires success.
func (s *system) ok(args ...string) string {
	s.t.Helper()
	r := s.cli(args...)
	require.Equal(s.t, 0, r.code, "jetcron %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.out, r.err)
	return r.out
}

// executions lists a job's executions through the CLI's JSON output.
func (s *system) executions(jobName string) []job.Execution {
	s.t.Helper()
	var xs []job.Execution
	require.NoError(s.t, json.Unmarshal([]byte(s.ok("exec", "list", jobName, "-o", "json", "--limit", "1000")), &xs))
	return xs
}

// waitFor waits until the job has an execution in one of states, and
// returns it.
func (s *system) waitFor(jobName string, d time.Duration, states ...job.State) job.Execution {
	s.t.Helper()
	var found job.Execution
	natstest.Eventually(s.t, d, func() bool {
		for _, x := range s.executions(jobName) {
			if slices.Contains(states, x.State) {
				found = x
				return true
			}
		}
		return false
	}, "job %s reaches %v", jobName, states)
	return found
}

// waitState waits until one execution reaches a state and returns it.
func (s *system) waitState(id string, d time.Duration, states ...job.State) job.Execution {
	s.t.Helper()
	var x job.Execution
	natstest.Eventually(s.t, d, func() bool {
		var err error
		x, err = s.client.Execution(s.t.Context(), id)
		return err == nil && slices.Contains(states, x.State)
	}, "execution %s reaches %v", id, states)
	return x
}

func exitText(code *int) string {
	if code == nil {
		return "-"
	}
	return strconv.Itoa(*code)
}
