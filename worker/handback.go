package worker

import (
	"context"
	"time"

	"github.com/jetcron/jetcron/pkg/event"
)

// An attempt whose task cannot start for a reason of the system's — the
// checkpoint or a script could not be read from NATS (a stream electing
// its leader), the run directory or the output capture could not be made,
// no run identity was free — has done nothing the run's definition asked.
// Failing it would spend a retry of the job's (and, with none, end the
// slot as failed without running it: the fault suite found slots lost so
// while a NATS node was killed). Such an attempt hands the execution back
// instead: the claim is released (not a failure, so no retry is counted and
// the next delivery is no takeover), a retrying event says why and when
// the next attempt comes, and the message is redelivered after a delay
// that grows with its deliveries, to any worker. Only the queue's last
// delivery records the failure, so an execution that can never start ends
// with its reason instead of waiting forever.

// handBackDelay is the pause before the delivery that follows delivery
// when an attempt could not start: 1 s doubling to at most 30 s, about ten
// minutes over the default 25 deliveries.
func handBackDelay(delivery int) time.Duration {
	d := time.Second
	for range max(delivery-1, 0) {
		if d *= 2; d >= 30*time.Second {
			return 30 * time.Second
		}
	}
	return d
}

// handBack releases the claim and leaves the message for a later delivery;
// base is the attempt's result event, with its error.
func (x *execution) handBack(ctx context.Context, base event.Event, now time.Time) {
	x.log.Warn("the task could not start; handing the execution back", "error", base.Error)
	x.claimMu.Lock()
	err := x.claim.Release(ctx, now)
	x.claimMu.Unlock()
	if err != nil {
		x.fenced(ctx, base, err)
		return
	}
	delay := handBackDelay(x.delivery)
	next := now.Add(delay).UTC()
	e := base
	e.Kind, e.NextAttempt = event.Retrying, &next
	e.Error = event.DidNotStart + base.Error
	x.w.publish(ctx, e)
	x.settle(settleRetry, delay)
	x.w.cfg.Metrics.finished("handed_back")
}
