package notifier

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// inWork holds the alerts that sinks are working on, to report them in
// progress to the server until each is settled.
type inWork struct {
	mu   sync.Mutex // guards msgs
	msgs map[*tracked]struct{}
}

func newInWork() *inWork { return &inWork{msgs: map[*tracked]struct{}{}} }

// tracked is one alert message and the sinks still working on it. It is
// settled when the last one is done: acknowledged, or negatively
// acknowledged with a delay if any sink could not take it yet.
type tracked struct {
	w     *inWork
	msg   jetstream.Msg
	delay time.Duration

	mu      sync.Mutex // guards pending and retry
	pending int
	retry   bool
}

// track starts tracking m; the caller holds one share, released by done.
func (w *inWork) track(m jetstream.Msg, delay time.Duration) *tracked {
	t := &tracked{w: w, msg: m, delay: delay, pending: 1}
	w.mu.Lock()
	w.msgs[t] = struct{}{}
	w.mu.Unlock()
	return t
}

// add takes one more share, for a sink the alert is queued for.
func (t *tracked) add() {
	t.mu.Lock()
	t.pending++
	t.mu.Unlock()
}

// done releases one share; retry asks for the alert to come again.
func (t *tracked) done(retry bool) {
	t.mu.Lock()
	t.retry = t.retry || retry
	t.pending--
	last, again := t.pending == 0, t.retry
	t.mu.Unlock()
	if !last {
		return
	}
	t.w.mu.Lock()
	delete(t.w.msgs, t)
	t.w.mu.Unlock()
	if again {
		_ = t.msg.NakWithDelay(t.delay)
	} else {
		_ = t.msg.Ack()
	}
}

// progressLoop reports every alert in work in progress every interval, so
// the server does not hand it to another replica while a sink retries.
func (w *inWork) progressLoop(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		w.mu.Lock()
		msgs := make([]jetstream.Msg, 0, len(w.msgs))
		for t := range w.msgs {
			msgs = append(msgs, t.msg)
		}
		w.mu.Unlock()
		for _, m := range msgs {
			_ = m.InProgress()
		}
	}
}
