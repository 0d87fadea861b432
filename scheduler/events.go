package scheduler

import (
	"context"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// eventQueue holds the events the loop emitted until they are stored:
// every round stores them together, and no cursor is flushed past one
// that is not stored yet.
type eventQueue struct {
	pub    *event.Publisher
	queued []queuedEvent
	// nextRetry is when queued events are offered again.
	nextRetry time.Time
}

// queuedEvent is an event waiting to be stored, with its message.
type queuedEvent struct {
	m *nats.Msg
	e event.Event
}

// emit queues an event; awaitEvents stores the queued events together
// (tick calls it at the end of every round, emit when as many wait as
// streamio.Pipelined sends at once: BatchesInFlight atomic batches).
func (r *leaderRun) emit(e event.Event) {
	m, err := r.events.pub.Msg(e)
	if err != nil {
		r.log.Warn("event not recorded", "kind", e.Kind, "job", e.Job, "error", err)
		return
	}
	r.events.queued = append(r.events.queued, queuedEvent{m: m, e: e})
	// Every few thousand new events; not at every emit while events the
	// stream would not take (a NATS outage) stay queued.
	if len(r.events.queued)%(streamio.BatchesInFlight*streamio.MaxAtomicBatch) == 0 {
		r.awaitEvents(context.Background())
	}
}

// awaitEvents stores every queued event (streamio.Pipelined: atomic
// batches, several in flight; one by one for a few events, or for a batch
// the stream refuses, for example because one event of it is already
// stored); an event that still fails is published again on its
// own, with the same message ID, before it is given up.
func (r *leaderRun) awaitEvents(ctx context.Context) {
	if len(r.events.queued) == 0 {
		return
	}
	msgs := make([]*nats.Msg, len(r.events.queued))
	for i, q := range r.events.queued {
		msgs[i] = q.m
	}
	acks := streamio.Pipelined(ctx, r.s.nc, r.s.js, msgs)
	var left []queuedEvent
	for i, a := range acks {
		if a.Err == nil {
			continue
		}
		if len(left) > 0 { // the stream did not take the last one either
			left = append(left, r.events.queued[i])
			continue
		}
		e := r.events.queued[i].e
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if _, err := r.events.pub.Publish(pctx, e); err != nil {
			// Kept for the next round (same message ID): the cursors are
			// not flushed past it meanwhile, so if this leader ends first,
			// the next one fires the slot again (a duplicate the stream
			// drops) and records the event then.
			r.log.WarnContext(ctx, "event not stored yet; will retry", "kind", e.Kind, "job", e.Job, "execution_id", e.Execution, "error", a.Err, "retry_error", err)
			left = append(left, r.events.queued[i])
		}
		cancel()
	}
	r.events.queued = append(r.events.queued[:0], left...)
}
