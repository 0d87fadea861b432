package watchdog

import (
	"context"
	"errors"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/health"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// storeBatch is how many states a round gathers before it writes them.
const storeBatch = 4 * streamio.MaxAtomicBatch

// stateWrite is a job's health state that a round decided to store, and
// the alert that announces its change of health (nil when it has none).
type stateWrite struct {
	t     *tracker
	next  health.State
	data  []byte
	alert *alert.Alert
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
	if writes = w.announce(ctx, writes); len(writes) == 0 {
		return 0
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

// logEach is how many changes of health a batch logs one by one; the rest
// are counted in one line (after an outage, every job changes at once).
const logEach = 20

// announce appends the alerts of writes, in atomic batches with several in
// flight as store writes states (a round in which a hundred thousand jobs
// changed health appended them one round trip and one fsync each), and
// returns the writes whose alert is stored or that have none. A state is
// written only after its alert: a replica that dies in between appends the
// alert again, and the stream keeps one copy (its message ID). A write
// whose alert could not be appended is dropped: the next round decides it
// again.
func (w *Watchdog) announce(ctx context.Context, writes []stateWrite) []stateWrite {
	var msgs []*nats.Msg
	var of []int // the write of each message
	failed := make(map[int]bool)
	for i, sw := range writes {
		if sw.alert == nil {
			continue
		}
		m, err := alert.Msg(w.names, *sw.alert)
		if err != nil {
			w.log.ErrorContext(ctx, "watchdog made an invalid alert", "job", sw.t.name, "health", sw.alert.Health, "error", err)
			failed[i] = true
			continue
		}
		msgs, of = append(msgs, m), append(of, i)
	}
	if len(msgs) > 0 {
		wctx, cancel := context.WithTimeout(ctx, writeTimeout)
		acks := streamio.Pipelined(wctx, w.nc, w.js, msgs)
		cancel()
		var changed, lost int
		more := map[alert.Health]int{} // the changes not logged one by one
		for k, a := range acks {
			sw := writes[of[k]]
			if a.Err != nil {
				if lost++; lost == 1 {
					w.log.WarnContext(ctx, "watchdog could not append an alert; trying again next round", "job", sw.t.name, "health", sw.alert.Health, "error", a.Err)
				}
				failed[of[k]] = true
				continue
			}
			if changed++; changed <= logEach {
				w.log.InfoContext(ctx, "job health changed", "job", sw.t.name, "health", sw.alert.Health, "previous", sw.alert.Previous, "reason", sw.alert.Reason)
			} else {
				more[sw.alert.Health]++
			}
		}
		if len(more) > 0 {
			w.log.InfoContext(ctx, "more jobs changed health", "jobs", changed-logEach, "by_health", more)
		}
		if lost > 1 {
			w.log.WarnContext(ctx, "watchdog could not append more alerts; trying again next round", "alerts", lost-1)
		}
	}
	if len(failed) == 0 {
		return writes
	}
	kept := make([]stateWrite, 0, len(writes)-len(failed))
	for i, sw := range writes {
		if !failed[i] {
			kept = append(kept, sw)
		}
	}
	return kept
}
