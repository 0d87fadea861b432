package watchdog

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/event"
)

// maxLag is how many events may wait unread on the stream for a round to
// run: a round that judged the slots from events it has not read yet would
// call them unaccounted. Behind by more, the watchdog skips rounds until it
// has caught up.
const maxLag = 1000

// follow sends the events appended from sequence next on, reopening the
// ordered consumer after an error, and records how many wait unread.
func (w *Watchdog) follow(ctx context.Context, next uint64, out chan<- event.Event) {
	for ctx.Err() == nil {
		next = w.followFrom(ctx, next, out)
		t := w.cfg.Clock.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// followFrom follows the events from sequence next until an error or the
// end of ctx, and returns the sequence to follow from next time.
func (w *Watchdog) followFrom(ctx context.Context, next uint64, out chan<- event.Event) uint64 {
	cons, err := w.js.OrderedConsumer(ctx, w.names.EventsStream(), jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{w.names.EventSubjects()}, DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: next,
	})
	if err != nil {
		w.lost(ctx, next, err)
		return next
	}
	it, err := cons.Messages()
	if err != nil {
		w.lost(ctx, next, err)
		return next
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	for {
		m, err := it.Next()
		if err != nil {
			w.lost(ctx, next, err)
			return next
		}
		md, err := m.Metadata()
		if err != nil {
			continue
		}
		w.pending.Store(md.NumPending)
		next = md.Sequence.Stream + 1
		e, ok, err := event.DecodeMsg(m.Subject(), m.Data())
		if err != nil || !ok {
			continue // not ours to interpret: skip, as every reader does
		}
		e.Seq = md.Sequence.Stream
		select {
		case out <- e:
		case <-ctx.Done():
			return next
		}
	}
}

func (w *Watchdog) lost(ctx context.Context, next uint64, err error) {
	if ctx.Err() == nil {
		w.log.WarnContext(ctx, "watchdog lost the events; following again", "from_seq", next, "error", err)
	}
}

// behind reports whether the follower is too far behind the stream for a
// round to judge the slots, logging it at most once a minute.
func (w *Watchdog) behind(ctx context.Context, now time.Time) bool {
	lag := w.pending.Load()
	if lag <= maxLag {
		return false
	}
	if now.Sub(w.lagged) >= time.Minute {
		w.lagged = now
		w.log.WarnContext(ctx, "watchdog is behind the events; round skipped until it catches up", "pending", lag)
	}
	return true
}
