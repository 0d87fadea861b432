package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/scheduler"
)

// TestRefreshToken runs the example's program against a real embedded
// NATS server and scheduler, every second instead of every 12 hours: the
// handler runs exactly five times in the program's own worker, then the
// job is completed.
func TestRefreshToken(t *testing.T) {
	t.Parallel()
	srv := natstest.RunJetStream(t)
	topo := natstest.Topology(t)
	sc, err := scheduler.New(natstest.Connect(t, srv), scheduler.Config{Topology: topo, FlushInterval: 200 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, sc.Start(t.Context()))
	t.Cleanup(func() { _ = sc.Stop(context.Background()) })
	natstest.Eventually(t, 10*time.Second, sc.Leading, "the scheduler leads")

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- run(ctx, config{NATS: srv.URL(), Topology: topo, Every: time.Second, Times: 5}) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})

	cl, err := client.New(natstest.Connect(t, srv), client.WithNamespace(topo.Namespace))
	require.NoError(t, err)
	succeeded := func() []job.Execution {
		xs, _, err := cl.Executions(t.Context(), client.ListOptions{Job: "refresh-token", Limit: 100})
		require.NoError(t, err)
		var out []job.Execution
		for _, x := range xs {
			if x.State == job.StateSucceeded {
				out = append(out, x)
			}
		}
		return out
	}
	natstest.Eventually(t, 30*time.Second, func() bool { return len(succeeded()) == 5 }, "five refreshes")

	v, err := cl.GetJob(t.Context(), "refresh-token")
	require.NoError(t, err)
	require.Equal(t, job.TaskGo, v.Task.Kind)
	require.Equal(t, "refresh-token", v.Task.Handler)
	require.Equal(t, job.GoQueue("refresh-token"), v.Queue, "a Go handler's job routes to its own queue")
	natstest.Eventually(t, 10*time.Second, func() bool {
		v, err := cl.GetJob(t.Context(), "refresh-token")
		return err == nil && v.Status == api.StatusCompleted
	}, "the job completes after five fires")
	time.Sleep(1500 * time.Millisecond) // negative check: a completed every-1s job fires no sixth time
	require.Len(t, succeeded(), 5)

	var log strings.Builder
	require.NoError(t, cl.Log(t.Context(), succeeded()[0].ID, 0, &log))
	require.Contains(t, log.String(), "refreshed token ")
	workers, err := cl.Workers(t.Context())
	require.NoError(t, err)
	require.Len(t, workers, 1)
	require.Equal(t, []string{"go-refresh-token"}, workers[0].Queues, "the embedded worker pulls only its handler's queue")
	require.Equal(t, []string{"refresh-token"}, workers[0].Handlers)
}
