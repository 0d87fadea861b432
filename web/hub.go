package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/lifecycle"
	"github.com/jetcron/jetcron/pkg/topology"
)

// subBuffer is how many events a slow subscriber may lag behind before it
// is dropped (its browser reconnects and refetches); subMaxBytes bounds
// the size of those events, whatever a role put in them.
const (
	subBuffer   = 512
	subMaxBytes = 4 << 20
)

// hub follows the events stream once for the whole server: each event
// updates the recent-runs cache, then goes to every subscriber whose filter
// matches.
type hub struct {
	lifecycle.Base
	client *client.Client
	runs   *runCache
	log    *slog.Logger

	mu  sync.Mutex // guards pos, created, err and subs
	pos uint64     // the stream sequence up to which events were handled
	// created is when the followed stream was made (zero before the
	// first follow); another time means it was made again.
	created time.Time
	err     error // why the hub does not follow the stream now
	subs    map[*subscriber]struct{}
}

// subscriber receives the events of one job or execution, or all.
type subscriber struct {
	job, execution string
	ch             chan event.Event
	dropped        chan struct{} // closed when the hub dropped it for lagging
	queued         atomic.Int64  // payload bytes of the events in ch
}

// received accounts for an event taken from ch.
func (s *subscriber) received(e event.Event) { s.queued.Add(-int64(max(e.Bytes, 1))) }

func newHub(c *client.Client, runs *runCache, log *slog.Logger) *hub {
	return &hub{client: c, runs: runs, log: log, subs: map[*subscriber]struct{}{},
		err: errors.New("not started")}
}

// Start begins following the stream from its current end.
func (h *hub) Start(ctx context.Context) error {
	return h.Go(ctx, h.run)
}

// Err reports why the hub does not follow the stream, or nil.
func (h *hub) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

func (h *hub) setErr(err error) {
	h.mu.Lock()
	h.err = err
	h.mu.Unlock()
}

func (h *hub) run(ctx context.Context) {
	wait := 100 * time.Millisecond
	js := h.client.JetStream()
	for ctx.Err() == nil {
		// Until NATS is reachable and the streams exist (the web role may
		// start before the first scheduler, and NATS may restart from an
		// empty store), wait for them, saying so in /readyz and the log.
		report := func(err error) {
			if err != nil {
				h.setErr(err)
			}
		}
		// The events stream only: the web role's user may not read the
		// work stream's info (deploy/nats).
		o := topology.WaitOptions{Logger: h.log, Report: report, Streams: []string{h.client.Names().EventsStream()}}
		if topology.WaitReady(ctx, js, h.client.Names(), o) != nil {
			return
		}
		err := h.follow(ctx, js)
		if errors.Is(err, errRefollow) && ctx.Err() == nil {
			h.log.InfoContext(ctx, "following the events stream again", "reason", err)
			wait = 100 * time.Millisecond
			continue
		}
		if err != nil && ctx.Err() == nil {
			h.setErr(err)
			level := slog.LevelWarn
			if errors.Is(err, jetstream.ErrStreamNotFound) {
				level = slog.LevelDebug // a scheduler has not created it yet
			}
			h.log.Log(ctx, level, "following the events stream failed; retrying", "error", err, "in", wait)
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

// follow watches the stream from where the hub stopped (its end, the first
// time; its start, if the stream was made again since) until an error or
// ctx ends.
func (h *hub) follow(ctx context.Context, js jetstream.JetStream) error {
	info, err := h.streamInfo(ctx, js)
	if err != nil {
		return err
	}
	h.mu.Lock()
	switch {
	case h.created.IsZero():
		h.pos = info.State.LastSeq
	case !info.Created.Equal(h.created):
		// NATS restarted from an empty store and a scheduler made the
		// stream again: its sequences start over.
		h.log.InfoContext(ctx, "the events stream was made again; following it from its start")
		h.pos = 0
	}
	h.created = info.Created
	pos := h.pos
	h.mu.Unlock()
	h.setErr(nil)
	conn := h.client.Conn()
	reconnected := conn.StatusChanged(nats.CONNECTED)
	defer conn.RemoveStatusListener(reconnected)
	fctx, cancel := context.WithCancelCause(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		h.watchStream(fctx, js, info.Created, reconnected, cancel)
	}()
	defer func() { cancel(nil); <-watched }()
	for e, err := range h.client.Watch(fctx, event.WatchOptions{FromSeq: pos + 1}) {
		if err != nil {
			if errors.Is(context.Cause(fctx), errRefollow) {
				return errRefollow
			}
			return err
		}
		h.runs.apply(e)
		h.mu.Lock()
		h.pos = e.Seq
		h.deliverLocked(e)
		h.mu.Unlock()
	}
	if errors.Is(context.Cause(fctx), errRefollow) {
		return errRefollow
	}
	return ctx.Err()
}

// deliverLocked queues e for every subscriber that wants it; one that
// lags by subBuffer events or subMaxBytes bytes is dropped.
func (h *hub) deliverLocked(e event.Event) {
	size := int64(max(e.Bytes, 1))
	for s := range h.subs {
		if !s.wants(e) {
			continue
		}
		if s.queued.Load()+size <= subMaxBytes {
			s.queued.Add(size)
			select {
			case s.ch <- e:
				continue
			default:
			}
		}
		close(s.dropped)
		delete(h.subs, s)
	}
}

// streamInfo returns the events stream's information.
func (h *hub) streamInfo(ctx context.Context, js jetstream.JetStream) (*jetstream.StreamInfo, error) {
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := js.Stream(rctx, h.client.Names().EventsStream())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", h.client.Names().EventsStream(), err)
	}
	return st.CachedInfo(), nil
}

// subscribe returns a subscriber to events of job (all when empty) or of
// one execution; unsubscribe it when done.
func (h *hub) subscribe(jobName, execution string) *subscriber {
	s := &subscriber{job: jobName, execution: execution, ch: make(chan event.Event, subBuffer), dropped: make(chan struct{})}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

func (h *hub) unsubscribe(s *subscriber) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

func (s *subscriber) wants(e event.Event) bool {
	return (s.job == "" || s.job == e.Job) && (s.execution == "" || s.execution == e.Execution)
}
