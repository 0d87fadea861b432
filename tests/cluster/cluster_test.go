// Package cluster_test runs the scheduler and the worker against a
// three-node NATS cluster with every stream and bucket replicated three
// times (R3), as production runs them, and takes nodes away under them.
package cluster_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/scheduler"
	"github.com/jetcron/jetcron/worker"
)

type system struct {
	cl     *natstest.Cluster
	topo   topology.Config
	js     jetstream.JetStream
	client *client.Client
	scheds []*scheduler.Scheduler
}

func start(t *testing.T, schedulers int) *system {
	t.Helper()
	cl := natstest.RunCluster(t, 3)
	topo := natstest.Topology(t)
	topo.Replicas = 3
	nc := natstest.ConnectCluster(t, cl)
	s := &system{cl: cl, topo: topo, js: natstest.JetStream(t, nc)}
	for i := range schedulers {
		sc, err := scheduler.New(natstest.ConnectCluster(t, cl), scheduler.Config{ID: "s" + string(rune('1'+i)), Topology: topo, FlushInterval: 200 * time.Millisecond, Logger: testLogger(t)})
		require.NoError(t, err)
		require.NoError(t, sc.Start(t.Context()))
		t.Cleanup(func() { _ = sc.Stop(context.Background()) })
		s.scheds = append(s.scheds, sc)
	}
	w, err := worker.New(natstest.ConnectCluster(t, cl), worker.Config{ID: "w1", Topology: topo, Concurrency: 4, WorkDir: natstest.WorkDir(t), Logger: testLogger(t)})
	require.NoError(t, err)
	require.NoError(t, w.Start(t.Context()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.Stop(ctx)
	})
	s.client, err = client.New(nc, client.WithNamespace(topo.Namespace))
	require.NoError(t, err)
	natstest.Eventually(t, 20*time.Second, func() bool { return s.leader(t) != nil }, "a leader is elected")
	return s
}

// leader returns the scheduler that leads; two at once fail the test.
func (s *system) leader(t *testing.T) *scheduler.Scheduler {
	var l *scheduler.Scheduler
	for _, sc := range s.scheds {
		if sc.Leading() {
			if l != nil {
				t.Errorf("schedulers %s and %s lead at once", l.ID(), sc.ID())
			}
			l = sc
		}
	}
	return l
}

// finals returns the final event of every execution of a job, by slot; an
// error (a stream is electing its leader) returns nil, for Eventually.
func (s *system) finals(ctx context.Context, name string) map[time.Time][]event.Event {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	xs, _, err := s.client.Executions(ctx, client.ListOptions{Job: name, Limit: 1000})
	if err != nil {
		return nil
	}
	out := map[time.Time][]event.Event{}
	for _, x := range xs {
		evs, err := s.client.Events(ctx, x.ID)
		if err != nil {
			return nil
		}
		for _, e := range evs {
			if e.Kind.Final() {
				out[x.ScheduledAt] = append(out[x.ScheduledAt], e)
			}
		}
	}
	return out
}

func TestEverythingIsReplicatedThreeTimes(t *testing.T) {
	t.Parallel()
	s := start(t, 1)
	ctx := t.Context()
	streams := []string{s.topo.Names().WorkStream(), s.topo.Names().EventsStream(), s.topo.Names().HistoryStream(), s.topo.Names().AlertsStream()}
	for _, kv := range s.topo.KeyValueConfigs() {
		streams = append(streams, "KV_"+kv.Bucket)
	}
	for _, os := range s.topo.ObjectStoreConfigs() {
		streams = append(streams, "OBJ_"+os.Bucket)
	}
	for _, name := range streams {
		st, err := s.js.Stream(ctx, name)
		require.NoError(t, err, name)
		info := st.CachedInfo()
		require.Equal(t, 3, info.Config.Replicas, name)
		require.NotNil(t, info.Cluster, name)
		require.Len(t, info.Cluster.Replicas, 2, "%s has a leader and two followers", name)
	}
	cons, err := s.js.Consumer(ctx, s.topo.Names().WorkStream(), s.topo.Names().WorkConsumer("default"))
	require.NoError(t, err)
	require.Equal(t, 3, cons.CachedInfo().Config.Replicas)
}

// TestSlotsRunOnceWhileNodesAndLeadersChange fires a job every second on
// R3 while the node that leads the lease bucket is stopped and started
// again, then while the leading scheduler stops: every slot between the
// first and the last runs exactly once.
func TestSlotsRunOnceWhileNodesAndLeadersChange(t *testing.T) {
	t.Parallel()
	s := start(t, 2)
	ctx := t.Context()
	_, err := s.client.CreateJob(ctx, job.Spec{Name: "tick", Schedule: job.Schedule{Every: job.Duration(time.Second)}, Overlap: job.OverlapAllow,
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}})
	require.NoError(t, err)
	succeeded := func() int {
		n := 0
		for _, evs := range s.finals(t.Context(), "tick") {
			if len(evs) > 0 && evs[0].Kind == event.Succeeded {
				n++
			}
		}
		return n
	}
	natstest.Eventually(t, 20*time.Second, func() bool { return succeeded() >= 3 }, "slots run")

	// Take away the node that leads the lease bucket's stream: the lease's
	// stream elects a new leader among the other two.
	leaseStream := "KV_" + s.topo.Names().LeaderBucket()
	node := s.cl.StreamLeader(leaseStream)
	require.GreaterOrEqual(t, node, 0)
	s.cl.Stop(node)
	before := succeeded()
	natstest.Eventually(t, 30*time.Second, func() bool { return succeeded() >= before+3 }, "slots run with a node down")
	s.cl.Start(node)
	natstest.Eventually(t, 30*time.Second, func() bool { return s.leader(t) != nil }, "a scheduler leads")

	// The leading scheduler stops; the other takes over.
	old := s.leader(t)
	require.NoError(t, old.Stop(ctx))
	natstest.Eventually(t, 20*time.Second, func() bool { l := s.leader(t); return l != nil && l != old }, "the other scheduler takes over")
	before = succeeded()
	natstest.Eventually(t, 30*time.Second, func() bool { return succeeded() >= before+3 }, "slots run under the new leader")

	_, err = s.client.DisableJob(ctx, "tick", "test over")
	require.NoError(t, err)
	natstest.Eventually(t, 30*time.Second, func() bool {
		xs, _, err := s.client.Executions(ctx, client.ListOptions{Job: "tick", Limit: 1000})
		if err != nil {
			return false
		}
		for _, x := range xs {
			if !x.State.Final() {
				return false
			}
		}
		return true
	}, "every fired slot ends")
	var first, last time.Time
	byslot := s.finals(t.Context(), "tick")
	require.NotNil(t, byslot)
	for slot := range byslot {
		if first.IsZero() || slot.Before(first) {
			first = slot
		}
		if slot.After(last) {
			last = slot
		}
	}
	// Slots after the last recorded one may still run; check the range.
	for slot := first; !slot.After(last); slot = slot.Add(time.Second) {
		evs := byslot[slot]
		require.Len(t, evs, 1, "slot %s has exactly one final event", slot.Format(time.RFC3339))
		require.Equal(t, event.Succeeded, evs[0].Kind, "slot %s", slot.Format(time.RFC3339))
	}
}

// TestCreateThenRunReadsItsOwnWrite: on R3 a KV Get may be answered by a
// replica that has not applied the write acknowledged a moment ago; the API
// reads definitions from the bucket's leader, so "create, then run, get,
// disable" finds the job every time.
func TestCreateThenRunReadsItsOwnWrite(t *testing.T) {
	t.Parallel()
	s := start(t, 1)
	ctx := t.Context()
	for i := range 200 {
		name := fmt.Sprintf("quick%d", i)
		_, err := s.client.CreateJob(ctx, job.Spec{Name: name, Schedule: job.Schedule{Every: job.Duration(time.Hour)},
			Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}})
		require.NoError(t, err)
		_, err = s.client.RunJob(ctx, name, nil, false)
		require.NoError(t, err, "run right after create")
		_, err = s.client.DisableJob(ctx, name, "")
		require.NoError(t, err, "disable right after run")
		v, err := s.client.GetJob(ctx, name)
		require.NoError(t, err)
		require.True(t, v.Spec.Disabled, "get right after disable sees it")
	}
}

// TestReplicasEnsureTogether starts three schedulers' worth of Ensure at
// once on a fresh R3 cluster, then again with changed settings: each is
// done in seconds (an update racing a create used to go unanswered until
// the caller's deadline) and the change is applied.
func TestReplicasEnsureTogether(t *testing.T) {
	t.Parallel()
	cl := natstest.RunCluster(t, 3)
	topo := natstest.Topology(t)
	topo.Replicas = 3
	changed := topo
	changed.LeaseTTL = 4 * time.Second
	for _, cfg := range []topology.Config{topo, changed} {
		errs := make(chan error, 3)
		for range 3 {
			js := natstest.JetStream(t, natstest.ConnectCluster(t, cl))
			go func() {
				ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
				defer cancel()
				errs <- topology.Ensure(ctx, js, cfg)
			}()
		}
		for range 3 {
			require.NoError(t, <-errs)
		}
	}
	js := natstest.JetStream(t, natstest.ConnectCluster(t, cl))
	kv, err := js.KeyValue(t.Context(), topo.Names().LeaderBucket())
	require.NoError(t, err)
	st, err := kv.Status(t.Context())
	require.NoError(t, err)
	require.Equal(t, 4*time.Second, st.TTL())
}

// testLogger logs warnings and errors of the roles to the test's log.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
