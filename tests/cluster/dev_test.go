package cluster_test

import (
	"bytes"
	"context"
	"regexp"
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
)

// syncBuffer is a buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDevCluster runs `jetcron dev --cluster 3`: three embedded servers
// joined by routes, every stream and bucket on all three, a job created
// through one node runs.
func TestDevCluster(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan int, 1)
	// The data directory is made before the stop below is registered, so
	// that (cleanups run last first) jetcron dev stops before it is removed.
	data := t.TempDir()
	go func() {
		done <- cli.Run(ctx, cli.Deps{Stdout: &out, Stderr: &out, Stdin: strings.NewReader("")},
			[]string{"jetcron", "dev", "--cluster", "3", "--listen", "127.0.0.1:0", "--data", data, "--http", "off", "--workers", "2"})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("jetcron dev did not stop")
		}
	})
	var urls []string
	natstest.Eventually(t, 90*time.Second, func() bool {
		m := regexp.MustCompile(`NATS:\s+(\S+)`).FindStringSubmatch(out.String())
		if m == nil {
			return false
		}
		urls = strings.Split(m[1], ",")
		return true
	}, "jetcron dev starts\n%s", out.String())
	require.Len(t, urls, 3, "three nodes")

	nc, err := nats.Connect(urls[2]) // one node is enough: it routes to the others
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	cl, err := client.New(nc)
	require.NoError(t, err)
	_, err = cl.CreateJob(ctx, job.Spec{Name: "hello", Schedule: job.Schedule{Every: job.Duration(time.Second)},
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}})
	require.NoError(t, err)
	natstest.Eventually(t, 30*time.Second, func() bool {
		xs, _, err := cl.Executions(ctx, client.ListOptions{Job: "hello"})
		return err == nil && len(xs) > 0 && xs[len(xs)-1].State == job.StateSucceeded
	}, "a slot runs")
	js := natstest.JetStream(t, nc)
	st, err := js.Stream(ctx, topology.MustNames("").WorkStream())
	require.NoError(t, err)
	require.Equal(t, 3, st.CachedInfo().Config.Replicas)
	require.Len(t, st.CachedInfo().Cluster.Replicas, 2)
}
