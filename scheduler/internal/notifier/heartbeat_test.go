package notifier_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/scheduler/internal/notifier"
)

func TestHeartbeatPingsEveryIntervalUntilStopped(t *testing.T) {
	t.Parallel()
	var pings atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			pings.Add(1)
		}
	}))
	defer srv.Close()
	fake := clock.NewFake(t0)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		notifier.Heartbeat{URL: srv.URL + "/ping/abc", Interval: time.Minute, Clock: fake}.Run(ctx)
	}()
	natstest.Eventually(t, 10*time.Second, func() bool { return pings.Load() == 1 }, "a ping at once")
	fake.BlockUntil(1)
	fake.Advance(time.Minute)
	natstest.Eventually(t, 10*time.Second, func() bool { return pings.Load() == 2 }, "a ping each interval")
	cancel()
	<-done
	fake.Advance(time.Hour)
	if n := pings.Load(); n != 2 {
		t.Fatalf("pings after stop: %d", n)
	}
}

func TestAHangingHeartbeatDoesNotHoldItsCaller(t *testing.T) {
	t.Parallel()
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		notifier.Heartbeat{URL: srv.URL, Timeout: time.Minute}.Run(ctx)
	}()
	time.Sleep(100 * time.Millisecond) // the ping is waiting for its answer
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return when its context ended")
	}
}
