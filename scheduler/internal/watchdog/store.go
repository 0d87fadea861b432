package watchdog

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/health"
)

// storeBatch is how many states a round gathers before it writes them.
const storeBatch = 1000

// stateWrite is a job's health state that a round decided to store.
type stateWrite struct {
	t    *tracker
	next health.State
	data []byte
}

// store writes the states a round decided, one at a time, each with its
// revision check. (Atomic batches were tried: a million jobs' first states
// stored in seconds, and no gain measured on the whole scheduler; see
// docs/benchmarks.md.)
func (w *Watchdog) store(ctx context.Context, writes []stateWrite) {
	for _, sw := range writes {
		if ctx.Err() != nil {
			return // a stopped round's states are decided again next time
		}
		w.write(ctx, sw)
	}
}

// write writes one state with the bucket's own revision-checked calls.
func (w *Watchdog) write(ctx context.Context, sw stateWrite) {
	t := sw.t
	a := t.activity(w.keepFrom(t, w.cfg.Clock.Now()))
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	var rev uint64
	var err error
	if a.hasStored {
		rev, err = w.health.Update(wctx, t.name, sw.data, a.storedRev)
	} else {
		rev, err = w.health.Create(wctx, t.name, sw.data)
	}
	switch {
	case err == nil:
		a.stored, a.storedRev, a.hasStored = sw.next, rev, true
	case errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		// Another replica wrote it: read it back; the next round decides
		// again against it.
		if ent, gerr := w.health.Get(wctx, t.name); gerr == nil {
			if s, derr := health.Decode(ent.Key(), ent.Value()); derr == nil {
				a.stored, a.storedRev, a.hasStored = s, ent.Revision(), true
			}
		}
	default:
		w.log.WarnContext(ctx, "watchdog could not write a job's health; trying again next round", "job", t.name, "error", err)
	}
}
