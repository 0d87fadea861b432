package client_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/scheduler"
	"github.com/jetcron/jetcron/worker"
)

// system runs a scheduler and a worker on an embedded server and returns a
// client of it.
func system(t *testing.T) *client.Client {
	t.Helper()
	srv := natstest.RunJetStream(t)
	topo := natstest.Topology(t)
	sc, err := scheduler.New(natstest.Connect(t, srv), scheduler.Config{Topology: topo, FlushInterval: 200 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, sc.Start(t.Context()))
	t.Cleanup(func() { _ = sc.Stop(context.Background()) })
	w, err := worker.New(natstest.Connect(t, srv), worker.Config{Topology: topo, Concurrency: 2, WorkDir: natstest.WorkDir(t)})
	require.NoError(t, err)
	require.NoError(t, w.Start(t.Context()))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.Stop(ctx)
	})
	natstest.Eventually(t, 10*time.Second, sc.Leading, "the scheduler leads")
	cl, err := client.New(natstest.Connect(t, srv), client.WithNamespace(topo.Namespace))
	require.NoError(t, err)
	return cl
}

// gateWriter blocks its second write until open is closed: a follower
// whose reader stalls.
type gateWriter struct {
	first chan struct{} // closed on the first write
	open  chan struct{}
	once  sync.Once
	mu    sync.Mutex
	buf   bytes.Buffer
	n     int
}

func (g *gateWriter) Write(p []byte) (int, error) {
	g.once.Do(func() { close(g.first) })
	g.mu.Lock()
	g.n++
	n := g.n
	g.mu.Unlock()
	if n > 1 {
		<-g.open
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.buf.Write(p)
}

// TestSlowFollowerStaysBounded: a follower whose writer stalls while a run
// writes many MB holds at most its buffer, and skips ahead with a marker
// (it held 128 MiB before: 4096 chunks of 32 KiB).
func TestSlowFollowerStaysBounded(t *testing.T) {
	t.Parallel()
	cl := system(t)
	ctx := t.Context()
	gate := filepath.Join(natstest.SharedDir(t), "go") // runs under their own uids reach it
	const total = 8 << 20
	script := `echo start; while [ ! -e "$GATE" ]; do sleep 0.02; done; head -c 8388608 /dev/zero | tr '\0' x; echo; echo done`
	_, err := cl.CreateJob(ctx, job.Spec{Name: "chatty", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
		Env:  map[string]string{"GATE": gate},
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"sh", "-c", script}}})
	require.NoError(t, err)
	run, err := cl.RunJob(ctx, "chatty", nil, false)
	require.NoError(t, err)
	waitRecorded(t, cl, run.ExecutionID)

	w := &gateWriter{first: make(chan struct{}), open: make(chan struct{})}
	const max = 256 << 10
	type result struct {
		peak int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		peak, err := client.FollowLogPeak(ctx, cl, run.ExecutionID, w, max)
		done <- result{peak, err}
	}()
	select { // following, and the run has started
	case <-w.first:
	case r := <-done:
		t.Fatalf("the follower ended before the run wrote: %v", r.err)
	}
	require.NoError(t, os.WriteFile(gate, nil, 0o600))
	natstest.Eventually(t, 60*time.Second, func() bool {
		x, err := cl.Execution(ctx, run.ExecutionID)
		return err == nil && x.State.Final()
	}, "the run ends while its follower stalls")
	close(w.open)
	r := <-done
	require.NoError(t, r.err)
	require.LessOrEqual(t, r.peak, max, "the follower's buffer stays bounded")
	out := w.buf.String()
	require.Less(t, len(out), total, "skipped output is not printed")
	require.True(t, strings.Contains(out, "bytes skipped …]"), "a skip marker in %d bytes of output", len(out))
	require.True(t, strings.HasSuffix(out, "done\n"), "the end of the output is printed")
}

// waitRecorded waits until an execution the API accepted is recorded (a
// leader under load publishes a run a moment after the API answers).
func waitRecorded(t *testing.T, cl *client.Client, id string) {
	t.Helper()
	natstest.Eventually(t, 30*time.Second, func() bool {
		_, err := cl.Execution(t.Context(), id)
		return err == nil
	}, "%s is recorded", id)
}
