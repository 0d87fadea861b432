package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/worker"
)

// startLog records when the no-op handler began each execution (its first
// attempt that reached it).
type startLog struct {
	mu sync.Mutex
	at map[string]time.Time // execution ID -> handler began
}

func newStartLog() *startLog { return &startLog{at: map[string]time.Time{}} }

// handler is the no-op Go handler: it notes the time and succeeds.
func (l *startLog) handler() worker.Handler {
	return worker.HandlerFunc(func(_ context.Context, r *worker.Run) error {
		now := time.Now()
		l.mu.Lock()
		if _, ok := l.at[r.ID]; !ok {
			l.at[r.ID] = now
		}
		l.mu.Unlock()
		return nil
	})
}

func (l *startLog) get(id string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.at[id]
	return t, ok
}

// finalTap counts final events as they are sent, with a plain
// subscription: it tells when to read the events stream.
type finalTap struct {
	sub *nats.Subscription
	n   atomic.Int64
}

func tapFinals(e *env) (*finalTap, error) {
	t := &finalTap{}
	subject := e.names.Namespace() + ".events.*.*.*"
	sub, err := e.nc.Subscribe(subject, func(m *nats.Msg) {
		if event.Kind(m.Subject[strings.LastIndexByte(m.Subject, '.')+1:]).Final() {
			t.n.Add(1)
		}
	})
	if err == nil {
		err = sub.SetPendingLimits(-1, -1)
	}
	if err == nil {
		err = e.nc.Flush()
	}
	if err != nil {
		return nil, fmt.Errorf("tap %s: %w", subject, err)
	}
	t.sub = sub
	return t, nil
}

func (t *finalTap) close() { _ = t.sub.Unsubscribe() }

// e2eStall is how long a burst may go without a new final event before
// the bench stops waiting and reports the missing ones.
const e2eStall = 30 * time.Second

// wait returns once n final events were sent, or none came for quiet.
func (t *finalTap) wait(ctx context.Context, n int64, quiet time.Duration) error {
	seen, grew := int64(0), time.Now()
	return poll(ctx, 24*time.Hour, 5*time.Millisecond, func() (bool, error) {
		c := t.n.Load()
		if c > seen {
			seen, grew = c, time.Now()
		}
		return c >= n || time.Since(grew) > quiet, nil
	})
}

// execTimes is what the events stream says about one execution.
type execTimes struct {
	slot time.Time
	// started is the first started event's time (the worker began the
	// attempt), final the final event's store timestamp.
	started, final time.Time
	kind           event.Kind
}

// readExecutions reads every execution event.
func readExecutions(ctx context.Context, e *env) (map[string]*execTimes, error) {
	out := map[string]*execTimes{}
	err := readAll(ctx, e, e.names.EventsStream(), e.names.Namespace()+".events.*.*.*", func(m streamio.Msg) error {
		ev, ok, err := event.Decode(m.Data)
		if err != nil {
			return fmt.Errorf("event %d: %w", m.Seq, err)
		}
		if !ok || ev.Execution == "" {
			return nil
		}
		x := out[ev.Execution]
		if x == nil {
			x = &execTimes{}
			out[ev.Execution] = x
		}
		if x.slot.IsZero() && ev.ScheduledAt != nil {
			x.slot = *ev.ScheduledAt // the execution ID's stamp has whole seconds
		}
		switch {
		case ev.Kind == event.Started && x.started.IsZero():
			x.started = ev.Time
		case ev.Kind.Final():
			x.final, x.kind = m.Time, ev.Kind
		}
		return nil
	})
	return out, err
}

// read reads the events of the executions whose slot is measured (until
// every one has its final event, or for up to a minute while the worker
// drains) and fills in the figures.
func (res *e2eResult) read(ctx context.Context, e *env, rec *startLog, measured func(time.Time) bool) error {
	var xs map[string]*execTimes
	count := func() (done int) {
		for _, x := range xs {
			if measured(x.slot) && !x.final.IsZero() {
				done++
			}
		}
		return done
	}
	err := poll(ctx, time.Minute, 500*time.Millisecond, func() (bool, error) {
		var err error
		xs, err = readExecutions(ctx, e)
		return count() >= res.Expected, err
	})
	if err != nil && !errors.Is(err, errTimeout) {
		return err
	}
	var handler, started, final []time.Duration
	var first, last time.Time
	for id, x := range xs {
		if !measured(x.slot) {
			continue
		}
		if first.IsZero() || x.slot.Before(first) {
			first = x.slot
		}
		if t, ok := rec.get(id); ok {
			handler = append(handler, t.Sub(x.slot))
		}
		if !x.started.IsZero() {
			started = append(started, x.started.Sub(x.slot))
		}
		if x.final.IsZero() {
			continue
		}
		res.Done++
		if x.kind != event.Succeeded {
			res.Failed++
		}
		final = append(final, x.final.Sub(x.slot))
		if x.final.After(last) {
			last = x.final
		}
	}
	res.Handler, res.Started, res.Final = summarize(handler), summarize(started), summarize(final)
	if res.Done > 0 {
		res.Last = last.Sub(first)
	}
	return nil
}
