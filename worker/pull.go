package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/topology"
)

// fetchWait is how long one pull request waits for a message. Short, so a
// free slot moves between queues quickly and Stop never waits long.
const fetchWait = time.Second

// pull takes a free slot, then fetches one message of queue, until ctx
// ends; while the queue has work, it fetches for every free slot at once.
// A busy worker (no free slot) does not fetch at all.
func (w *Worker) pull(ctx context.Context, queue string) {
	var cons jetstream.Consumer
	warned, busy := false, false
	wait := 250 * time.Millisecond // grows to 2s: a new handler's queue appears soon after its job
	for ctx.Err() == nil {
		if cons == nil {
			c, err := w.js.Consumer(ctx, w.names.WorkStream(), w.names.WorkConsumer(queue))
			if err != nil {
				if errors.Is(err, jetstream.ErrStreamNotFound) {
					// NATS restarted from an empty store: the worker is
					// not ready until a scheduler makes the stream again.
					w.setQueueWaiting(queue, fmt.Errorf("stream %s: %w", w.names.WorkStream(), topology.ErrNotReady))
				}
				if !errors.Is(err, context.Canceled) && !warned {
					warned = true // once per outage: a Go handler's queue has no consumer until its job exists
					w.log.WarnContext(ctx, "queue has no consumer yet; waiting (a job must name the queue, or run `jetcron scheduler` to create it)", "queue", queue, "error", err)
				}
				sleep(ctx, wait)
				wait = min(2*wait, 2*time.Second)
				continue
			}
			if warned {
				w.log.InfoContext(ctx, "queue has a consumer; pulling", "queue", queue)
			}
			cons, warned, wait = c, false, 250*time.Millisecond
			w.setQueueWaiting(queue, nil)
			w.learnQueue(queue, c.CachedInfo().Config)
		}
		n, ok := w.takeSlots(ctx, busy)
		if !ok {
			return
		}
		var batch jetstream.MessageBatch
		var err error
		if n > 1 {
			// Work was waiting last time: take what is there now for every
			// free slot, without waiting for more.
			batch, err = cons.FetchNoWait(n)
		} else {
			batch, err = cons.Fetch(1, jetstream.FetchMaxWait(fetchWait))
		}
		if err != nil {
			w.freeSlots(n)
			if gone(err) {
				cons = nil
			}
			w.log.DebugContext(ctx, "fetch failed", "queue", queue, "error", err)
			sleep(ctx, 200*time.Millisecond)
			continue
		}
		got := 0
		for msg := range batch.Messages() {
			got++
			// Even when stopping: a message that answers a fetch sent
			// before Stop is run in the slot taken for it (Stop lets running
			// executions finish). Handing it back would count a delivery and
			// make its run a retry (attempt 2) for nothing.
			w.runs.Add(1)
			go func() {
				defer w.runs.Done()
				defer func() { <-w.slots }()
				w.handleMessage(msg)
			}()
		}
		w.freeSlots(n - got)
		// Ask for several next time only if this fetch filled its slots: a
		// queue that had work probably has more.
		busy = got == n
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) {
			w.log.DebugContext(ctx, "fetch ended with an error", "queue", queue, "error", err)
			if gone(err) {
				cons = nil // look it up again, and wait for it if it is gone
			}
		}
	}
}

// takeSlots waits for a free slot and, when the queue was busy, takes the
// other free ones too, without waiting: a burst is fetched in one request
// instead of one per message. It returns how many it took; false when ctx
// ended.
func (w *Worker) takeSlots(ctx context.Context, busy bool) (int, bool) {
	select {
	case w.slots <- struct{}{}:
	case <-ctx.Done():
		return 0, false
	}
	n := 1
	for busy {
		select {
		case w.slots <- struct{}{}:
			n++
		default:
			return n, true
		}
	}
	return n, true
}

// freeSlots gives back n slots taken for messages that did not come.
func (w *Worker) freeSlots(n int) {
	for range n {
		<-w.slots
	}
}

// gone reports whether a fetch failed because the consumer or its stream
// no longer exists (deleted, or NATS restarted from an empty store).
func gone(err error) bool {
	return errors.Is(err, jetstream.ErrConsumerNotFound) || errors.Is(err, jetstream.ErrConsumerDeleted) ||
		errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
