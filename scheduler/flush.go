package scheduler

import (
	"context"
	"errors"
	"time"
)

// cursorFlush is the writing of the state's dirty entries (the cursors,
// mostly) about every FlushInterval. A flush does not stop the loop: the
// loop takes the dirty values, a goroutine sends them, and the loop
// settles the flush when it is handed back (stateStore's take, send and
// settle). One flush is in flight at a time: the next expects the
// revisions this one writes.
type cursorFlush struct {
	// next is when the next flush is due.
	next time.Time
	// inFlight is the flush sent, if any; done hands it back to the loop
	// once sent.
	inFlight *flushBatch
	done     chan *flushBatch
}

// flushIfDue starts a flush when one is due (tick calls it at the end of
// every round whose events are stored).
func (r *leaderRun) flushIfDue(ctx context.Context, now time.Time) error {
	if r.state.pending() && r.flush.inFlight == nil && !now.Before(r.flush.next) {
		if !r.lease.Valid() {
			return errLeaseExpired
		}
		r.startFlush(ctx)
		r.flush.next = now.Add(r.s.cfg.FlushInterval)
	} else if !r.state.pending() {
		r.flush.next = now.Add(r.s.cfg.FlushInterval)
	}
	return nil
}

// startFlush writes the dirty cursors in the background: the loop goes on
// firing while the server commits them, and settles the flush when it is
// handed back. One flush at a time: the next expects the revisions this
// one writes.
func (r *leaderRun) startFlush(ctx context.Context) {
	b := r.state.take()
	b.purges, r.pending.afterFlush = r.pending.afterFlush, nil
	r.flush.inFlight = b
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		r.state.send(ctx, r.s.nc, r.s.js, b)
		r.flush.done <- b
	}()
}

// settleFlush settles the flush handed back. Only errStale ends the loop.
func (r *leaderRun) settleFlush(ctx context.Context, b *flushBatch) error {
	r.flush.inFlight = nil
	if err := r.settle(ctx, b); err != nil {
		if errors.Is(err, errStale) {
			return err
		}
		// A stream electing its leader, a node restarting: the
		// entries are dirty again and the next flush writes them
		// (revision checks make a write whose answer was lost
		// harmless). Ending the loop would reload everything for
		// nothing.
		r.log.WarnContext(ctx, "cursor flush failed; retrying", "error", err)
	}
	return nil
}

// finalFlush ends a term: it settles the flush in flight and writes what
// the loop knows while the lease still holds; the next leader starts from
// it. Not past events that are not stored yet.
func (r *leaderRun) finalFlush(ctx context.Context) {
	if r.flush.inFlight != nil {
		_ = r.settle(ctx, <-r.flush.done)
		r.flush.inFlight = nil
	}
	if (r.state.pending() || len(r.pending.afterFlush) > 0) && r.lease.Valid() && len(r.events.queued) == 0 {
		fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), max(r.lease.Remaining(), time.Second))
		b := r.state.take()
		b.purges, r.pending.afterFlush = r.pending.afterFlush, nil
		r.state.send(fctx, r.s.nc, r.s.js, b)
		if err := r.settle(fctx, b); err != nil {
			r.log.WarnContext(ctx, "final cursor flush failed", "error", err)
		}
		fcancel()
	}
}

// settle settles a flush sent, then removes the pending keys that waited
// for it; when it failed they wait for the next one (a next leader finds
// them and drops the run again).
func (r *leaderRun) settle(ctx context.Context, b *flushBatch) error {
	if err := r.state.settle(b); err != nil {
		r.pending.afterFlush = append(r.pending.afterFlush, b.purges...)
		return err
	}
	for _, id := range b.purges {
		r.purgeKey(ctx, id)
	}
	return nil
}
