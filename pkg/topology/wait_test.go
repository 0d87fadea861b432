package topology_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/topology"
)

// WaitReady reports why it waits (the resources are missing), returns once
// they are made, and returns ctx's error at once when ctx ends.
func TestWaitReady(t *testing.T) {
	t.Parallel()
	js := natstest.JetStream(t, natstest.Connect(t, natstest.RunJetStream(t)))
	topo := natstest.Topology(t)

	var mu sync.Mutex
	var reports []error
	report := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		reports = append(reports, err)
	}
	last := func() (int, error) {
		mu.Lock()
		defer mu.Unlock()
		if len(reports) == 0 {
			return 0, nil
		}
		return len(reports), reports[len(reports)-1]
	}
	done := make(chan error, 1)
	go func() {
		done <- topology.WaitReady(t.Context(), js, topo.Names(), topology.WaitOptions{Report: report, MaxBackoff: 100 * time.Millisecond})
	}()
	natstest.Eventually(t, 10*time.Second, func() bool {
		n, err := last()
		return n >= 2 && errors.Is(err, topology.ErrNotReady)
	}, "it reports, at each step, that the resources are missing")
	select {
	case err := <-done:
		t.Fatalf("WaitReady returned before the resources exist: %v", err)
	default:
	}
	natstest.Ensure(t, js, topo)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("WaitReady did not return once the resources exist")
	}
	_, err := last()
	require.NoError(t, err, "its last report says ready")

	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		done <- topology.WaitReady(ctx, js, natstest.Topology(t).Names(), topology.WaitOptions{})
	}()
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(5 * time.Second):
		t.Fatal("WaitReady did not return when its context ended")
	}
}
