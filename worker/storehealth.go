package worker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/objstore"
)

// A worker whose store does not answer (S3 down, credentials revoked, the
// bucket deleted) cannot run scripts or keep logs. Instead of saying so
// only in the error of every run, it says so once: Ready reports
// "store: …" (the probe's /readyz answers 503) and one store_unavailable
// event is published when the store starts failing, one store_recovered
// when it answers again. A failed store operation marks it (scripts,
// logs, log reads); every storeCheckEvery, a log store that can be checked
// (S3) is checked, which also clears the mark.

// storeCheckEvery is how often the configured stores are checked.
const storeCheckEvery = 30 * time.Second

// checker is a store that can check it answers (objstore.S3).
type checker interface {
	Check(ctx context.Context) error
}

// storeHealth records whether the worker's stores answer.
type storeHealth struct {
	mu    sync.Mutex // guards err, n
	err   error      // why a store fails; nil: they answer
	which string     // the failing store: scripts or logs
	n     int        // failures seen, numbering their events
}

// failed marks store which ("scripts" or "logs") as failing with err; the
// first failure after a healthy spell is logged and published.
func (h *storeHealth) failed(w *Worker, which string, err error) {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, objstore.ErrNotFound) || errors.Is(err, objstore.ErrBadKey) {
		return
	}
	h.mu.Lock()
	first := h.err == nil
	h.err, h.which = err, which
	if first {
		h.n++
	}
	n := h.n
	h.mu.Unlock()
	if first {
		w.log.Error("the object store does not answer; runs that need it fail until it does", "store", which, "error", err)
		w.storeEvent(event.StoreUnavailable, which, err.Error(), n)
	}
}

// ok clears the mark of store which after it answered.
func (h *storeHealth) ok(w *Worker, which string) {
	h.mu.Lock()
	was := h.err != nil && h.which == which
	if was {
		h.err = nil
	}
	n := h.n
	h.mu.Unlock()
	if was {
		w.log.Info("the object store answers again", "store", which)
		w.storeEvent(event.StoreRecovered, which, "", n)
	}
}

// status is why a store fails, or nil.
func (h *storeHealth) status() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		return nil
	}
	return fmt.Errorf("store: %s: %w", h.which, h.err)
}

// storeEvent publishes a worker event about a store, in the background
// (never on a run's path), within 10 s; it is not waited for at Stop (a
// run or a log read may report a failure while the worker stops).
// Attempt numbers the failures of this worker process, so that each
// failure is one event (the message ID dedups a retried publish, not the
// next failure).
func (w *Worker) storeEvent(kind event.Kind, which, reason string, n int) {
	e := event.Event{Kind: kind, Job: event.WorkerToken, Worker: w.cfg.ID, Time: w.cfg.Clock.Now(), Attempt: n, Reason: which, Error: reason}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := w.events.Publish(ctx, e); err != nil {
			w.log.Warn("store event lost", "kind", kind, "error", err)
		}
	}()
}

// checkStores checks the log store every storeCheckEvery until ctx ends,
// if it can be checked (S3; the NATS object store's health is the
// connection's). The configured scripts store is only a fallback, in the
// same bucket: a failed read of it marks it.
func (w *Worker) checkStores(ctx context.Context) {
	c, ok := w.cfg.Logs.(checker)
	if !ok {
		return
	}
	t := time.NewTicker(storeCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := c.Check(cctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			w.health.failed(w, "logs", err)
		} else {
			w.health.ok(w, "logs")
		}
	}
}
