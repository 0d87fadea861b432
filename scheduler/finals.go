package scheduler

import (
	"context"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
)

// finalKinds are the event kinds that end an execution (event.Kind.Final).
// A final kind missing here only makes a delayed run wait for its next
// offer (bufferedRetry) instead of going at once.
var finalKinds = []event.Kind{event.Succeeded, event.Failed, event.TimedOut, event.Cancelled, event.Skipped, event.Missed}

// finalsStopWait bounds how long a term waits for its watch of final
// events to stop.
const finalsStopWait = time.Second

// final is an execution that ended.
type final struct{ job, execution string }

// watchFinals sends every execution that ends, so a delayed run is offered
// at once instead of at the next retry, and the gates it held are freed
// (concurrency.go). It asks the server for the final events only, by
// subject (…events.<job>.<execution>.<kind>), and reads the job and the
// execution from the subject: the leader's own scheduled events, as many
// as it fires, never come back to it, and no event is decoded. When the
// channel is full a final is dropped: delayed runs are offered again every
// bufferedRetry, and a gate's holders are checked against the work stream
// (concurrency.go).
func (r *leaderRun) watchFinals(ctx context.Context) <-chan final {
	out := make(chan final, 1024)
	filters := make([]string, len(finalKinds))
	for i, k := range finalKinds {
		filters[i] = r.s.names.EventSubject("*", "*", string(k))
	}
	prefix := strings.TrimSuffix(r.s.names.EventSubjects(), ">")
	cons, err := r.s.js.OrderedConsumer(ctx, r.s.names.EventsStream(), jetstream.OrderedConsumerConfig{
		FilterSubjects: filters,
		DeliverPolicy:  jetstream.DeliverNewPolicy,
	})
	if err != nil {
		r.log.WarnContext(ctx, "not following final events; delayed runs wait for their retry, and every job with a retention is pruned each round", "error", err)
		r.retained.followAll()
		return out
	}
	// The consumer recreates itself after a gap or a lost connection; it
	// stops when the term ends, and run waits for it.
	cc, err := cons.Consume(func(m jetstream.Msg) {
		name, rest, _ := strings.Cut(strings.TrimPrefix(m.Subject(), prefix), ".")
		exec, _, _ := strings.Cut(rest, ".")
		if job.ValidateName(name) != nil {
			return
		}
		r.retained.touch(name) // never dropped: its next prune may let an execution go
		select {
		case out <- final{job: name, execution: exec}:
		default:
		}
	})
	if err != nil {
		r.log.WarnContext(ctx, "not following final events; delayed runs wait for their retry, and every job with a retention is pruned each round", "error", err)
		r.retained.followAll()
		return out
	}
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		<-ctx.Done()
		// The term waits for the consumer to stop, but not for long: an
		// ordered consumer that is recreating itself (a stream without
		// quorum) holds its lock until its request times out, and a
		// leader that lost its lease must step down at once. It then
		// finishes stopping on its own.
		stopped := make(chan struct{})
		go func() {
			cc.Stop()
			<-cc.Closed()
			close(stopped)
		}()
		t := time.NewTimer(finalsStopWait)
		defer t.Stop()
		select {
		case <-stopped:
		case <-t.C:
		}
	}()
	return out
}
