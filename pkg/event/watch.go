package event

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// WatchOptions says which events to follow and from where.
type WatchOptions struct {
	// Job restricts to one job's events; empty follows all.
	Job string
	// Execution restricts to one execution (Job is then required).
	Execution string
	// Since replays events from this time first; zero starts with new events.
	Since time.Time
	// FromSeq replays events from this sequence; overrides Since.
	FromSeq uint64
}

// Watch follows the events stream with an ordered consumer (no state on the
// server beyond the watch) and yields events as they are appended, until ctx
// ends or the iteration stops. Errors end the iteration with a non-nil err.
func (r *Reader) Watch(ctx context.Context, o WatchOptions) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		filter := r.names.EventSubjects()
		switch {
		case o.Execution != "":
			filter = r.names.ExecutionEventsFilter(o.Job, o.Execution)
		case o.Job != "":
			filter = r.names.JobEventsFilter(o.Job)
		}
		cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}, DeliverPolicy: jetstream.DeliverNewPolicy}
		switch {
		case o.FromSeq > 0:
			cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
			cfg.OptStartSeq = o.FromSeq
		case !o.Since.IsZero():
			cfg.DeliverPolicy = jetstream.DeliverByStartTimePolicy
			since := o.Since
			cfg.OptStartTime = &since
		}
		cons, err := r.js.OrderedConsumer(ctx, r.names.EventsStream(), cfg)
		if err != nil {
			yield(Event{}, fmt.Errorf("watch events: %w", err))
			return
		}
		it, err := cons.Messages()
		if err != nil {
			yield(Event{}, fmt.Errorf("watch events: %w", err))
			return
		}
		defer it.Stop()
		stop := context.AfterFunc(ctx, it.Stop)
		defer stop()
		for {
			m, err := it.Next()
			if err != nil {
				if ctx.Err() != nil {
					return
				}
				yield(Event{}, fmt.Errorf("watch events: %w", err))
				return
			}
			e, ok, err := DecodeMsg(m.Subject(), m.Data())
			if err != nil || !ok {
				continue
			}
			if md, err := m.Metadata(); err == nil {
				e.Seq = md.Sequence.Stream
			}
			if !yield(e, nil) {
				return
			}
		}
	}
}
