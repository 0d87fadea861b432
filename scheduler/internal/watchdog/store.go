package watchdog

import (
	"context"
	"errors"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/health"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// storeBatch is how many states a round gathers before it writes them.
const storeBatch = 4 * streamio.MaxAtomicBatch

// stateWrite is a job's health state that a round decided to store.
type stateWrite struct {
	t    *tracker
	next health.State
	data []byte
}

// store writes the states a round decided, in atomic batches with several
// in flight (one commit and one fsync per batch, where a write each was a
// round trip and an fsync: the first round after a million jobs were
// created took many minutes, and every check waited behind it). Each keeps
// its revision check: it is written over the revision the tracker holds,
// or only if the job has none. A state the batches could not store
// (another replica wrote it meanwhile, a refused batch, a bucket made by an
// older `admin ensure` that does not allow batches) is written again on
// its own, which reads back a conflicting one. It returns the highest
// revision it wrote (0 for none).
func (w *Watchdog) store(ctx context.Context, writes []stateWrite) (last uint64) {
	if len(writes) == 0 || ctx.Err() != nil {
		return 0 // a stopped round's states are decided again next time
	}
	pre := "$KV." + w.health.Bucket() + "."
	msgs := make([]*nats.Msg, len(writes))
	for i, sw := range writes {
		m := nats.NewMsg(pre + sw.t.name)
		m.Data = sw.data
		m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(sw.t.storedRev(), 10))
		msgs[i] = m
	}
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	acks := streamio.Pipelined(wctx, w.nc, w.js, msgs)
	cancel()
	now := w.cfg.Clock.Now()
	for i, a := range acks {
		sw := writes[i]
		if a.Err == nil {
			sw.t.keepStored(sw.next, a.Seq, w.keepFrom(sw.t, now))
			last = max(last, a.Seq)
			continue
		}
		if ctx.Err() != nil {
			return last
		}
		last = max(last, w.write(ctx, sw))
	}
	return last
}

// write writes one state with the bucket's own revision-checked calls,
// and returns its revision (0 when it was not written).
func (w *Watchdog) write(ctx context.Context, sw stateWrite) uint64 {
	t := sw.t
	keepFrom := w.keepFrom(t, w.cfg.Clock.Now())
	wctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	var rev uint64
	var err error
	if prev := t.storedRev(); prev != 0 {
		rev, err = w.health.Update(wctx, t.name, sw.data, prev)
	} else {
		rev, err = w.health.Create(wctx, t.name, sw.data)
	}
	switch {
	case err == nil:
		t.keepStored(sw.next, rev, keepFrom)
		return rev
	case errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch):
		// Another replica wrote it: read it back; the next round decides
		// again against it.
		if ent, gerr := w.health.Get(wctx, t.name); gerr == nil {
			if s, derr := health.Decode(ent.Key(), ent.Value()); derr == nil {
				t.keepStored(s, ent.Revision(), keepFrom)
			}
		}
	default:
		w.log.WarnContext(ctx, "watchdog could not write a job's health; trying again next round", "job", t.name, "error", err)
	}
	return 0
}
