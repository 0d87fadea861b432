package notifier

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/notify"
)

// task is one alert for one sink.
type task struct {
	alert alert.Alert
	seq   uint64
	// realert marks a repetition (repeat counts them); it settles no
	// message.
	realert bool
	repeat  int
	track   *tracked
}

// sinkWorker delivers one sink's alerts, one at a time, in order.
type sinkWorker struct {
	name   string
	def    atomic.Pointer[notify.Sink]
	queue  chan task
	cancel context.CancelFunc
	done   chan struct{}
	// stopping is set when the notifier stops (the alerts left come
	// again), not when the sink is deleted (they are done with).
	stopping atomic.Bool
	// budget limits the notifications a minute; only the worker uses it.
	budget budget
}

// loadSinks watches the sinks' definitions, starting, updating and
// stopping their workers, and returns once the definitions present have
// been loaded (false if ctx ended first).
func (n *Notifier) loadSinks(ctx context.Context, kv jetstream.KeyValue, store notify.Store, wg *sync.WaitGroup) bool {
	w, err := kv.Watch(ctx, notify.SinkKeys)
	if err != nil {
		n.log.ErrorContext(ctx, "cannot watch notification sinks", "error", err)
		return false
	}
	ready := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() { _ = w.Stop() }()
		loaded := false
		for {
			select {
			case <-ctx.Done():
				return
			case ent, ok := <-w.Updates():
				if !ok {
					return
				}
				if ent == nil {
					if !loaded {
						loaded = true
						close(ready)
					}
					continue
				}
				n.apply(ctx, ent, store, wg)
			}
		}
	}()
	select {
	case <-ready:
		return true
	case <-ctx.Done():
		return false
	}
}

// apply starts, updates or stops the worker of the sink an entry is about.
func (n *Notifier) apply(ctx context.Context, ent jetstream.KeyValueEntry, store notify.Store, wg *sync.WaitGroup) {
	name, ok := notify.SinkOf(ent.Key())
	if !ok {
		return
	}
	if ent.Operation() != jetstream.KeyValuePut {
		n.removeSink(name)
		return
	}
	var def notify.Sink
	err := json.Unmarshal(ent.Value(), &def)
	if err == nil && def.Name != name {
		err = errNameMismatch
	}
	if err == nil {
		err = def.Validate(n.names)
	}
	if err != nil {
		// Written by another path than the API: skipped, never fatal.
		n.log.WarnContext(ctx, "invalid notification sink skipped", "sink", name, "error", err)
		n.removeSink(name)
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if w, ok := n.sinks[name]; ok {
		w.def.Store(&def)
		return
	}
	// Cancelled by removeSink or stopSinks only, which say whether what is
	// left is done with or comes again.
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w := &sinkWorker{name: name, queue: make(chan task, n.cfg.QueueSize), cancel: cancel, done: make(chan struct{})}
	w.def.Store(&def)
	n.sinks[name] = w
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(w.done)
		n.runSink(wctx, w, store)
	}()
}

var errNameMismatch = errors.New("the definition's name is not its key's")

// removeSink stops a deleted sink's worker; what it had queued is done
// with.
func (n *Notifier) removeSink(name string) {
	n.mu.Lock()
	w, ok := n.sinks[name]
	delete(n.sinks, name)
	n.mu.Unlock()
	if ok {
		w.cancel()
	}
}

// stopSinks stops every worker and waits for them; with stopping, the
// alerts they had not finished come again.
func (n *Notifier) stopSinks(stopping bool) {
	n.mu.Lock()
	ws := make([]*sinkWorker, 0, len(n.sinks))
	for _, w := range n.sinks {
		ws = append(ws, w)
	}
	clear(n.sinks)
	n.mu.Unlock()
	for _, w := range ws {
		w.stopping.Store(stopping)
		w.cancel()
	}
	for _, w := range ws {
		<-w.done
	}
}

// runSink delivers a sink's queue until ctx ends, then settles what is
// left.
func (n *Notifier) runSink(ctx context.Context, w *sinkWorker, store notify.Store) {
	for {
		select {
		case <-ctx.Done():
			for {
				select {
				case t := <-w.queue:
					if t.track != nil {
						t.track.done(w.stopping.Load())
					}
				default:
					return
				}
			}
		case t := <-w.queue:
			retry := n.deliver(ctx, w, store, t)
			if t.track != nil {
				t.track.done(retry && !(ctx.Err() != nil && !w.stopping.Load()))
			}
		case <-w.budget.poll():
			n.summarize(ctx, w, store)
		}
	}
}

// enqueue offers t to a sink without waiting; false when its queue is
// full. The caller holds n.mu, so a worker removed from n.sinks gets
// nothing more.
func (w *sinkWorker) enqueue(t task) bool {
	select {
	case w.queue <- t:
		return true
	default:
		return false
	}
}

// handle matches an alert against the sinks and queues it for those that
// take its job; it never waits for a sink.
func (n *Notifier) handle(m jetstream.Msg) {
	md, err := m.Metadata()
	if err != nil {
		_ = m.Term()
		return
	}
	a, err := alert.Decode(m.Data())
	if err == nil && m.Subject() != n.names.AlertSubject(a.Job) {
		err = errWrongSubject
	}
	if err != nil {
		n.log.Warn("alert skipped", "seq", md.Sequence.Stream, "subject", m.Subject(), "error", err)
		_ = m.Term()
		return
	}
	t := n.work.track(m, n.cfg.RetryDelay)
	n.mu.Lock()
	for _, w := range n.sinks {
		if !w.def.Load().MatchesJob(a.Labels) {
			continue
		}
		t.add()
		if !w.enqueue(task{alert: a, seq: md.Sequence.Stream, track: t}) {
			n.log.Warn("sink busy; the alert comes again later", "sink", w.name, "job", a.Job, "health", a.Health, "retry_in", n.cfg.RetryDelay)
			t.done(true)
		}
	}
	n.mu.Unlock()
	t.done(false)
}

var errWrongSubject = errors.New("the alert's job is not its subject's")
