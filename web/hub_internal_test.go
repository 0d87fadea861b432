package web

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
)

// TestSlowSubscriberIsBoundedInBytes: a subscriber that does not read
// holds at most subMaxBytes of events, then is dropped (its browser
// reconnects), however big the events a role wrote (512 events of 1 MiB
// each were held before).
func TestSlowSubscriberIsBoundedInBytes(t *testing.T) {
	t.Parallel()
	h := newHub(nil, newRunCache(nil), slog.New(slog.DiscardHandler))
	slow := h.subscribe("", "")
	fast := h.subscribe("", "")
	var peak int64
	for i := range 100 {
		e := event.Event{Kind: event.Started, Job: "j", Execution: "j-20260101T000000Z", Seq: uint64(i + 1), Bytes: 1 << 20}
		h.mu.Lock()
		h.deliverLocked(e)
		h.mu.Unlock()
		peak = max(peak, slow.queued.Load())
		select {
		case got := <-fast.ch:
			fast.received(got)
		default:
			t.Fatal("the fast subscriber gets every event")
		}
	}
	require.LessOrEqual(t, peak, int64(subMaxBytes))
	select {
	case <-slow.dropped:
	default:
		t.Fatal("the slow subscriber is dropped")
	}
	select {
	case <-fast.dropped:
		t.Fatal("the fast subscriber stays")
	default:
	}
	require.Zero(t, fast.queued.Load())
}
