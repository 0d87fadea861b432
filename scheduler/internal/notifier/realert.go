package notifier

import (
	"cmp"
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/notify"
)

// realertLoop scans for due repetitions every RealertScan. The scan runs
// on the wall clock (it only polls); whether a repetition is due is
// decided on Config.Clock. A timer of Config.Clock here would count among
// the timers that tests of the scheduler wait for.
func (n *Notifier) realertLoop(ctx context.Context, store notify.Store) {
	tick := time.NewTicker(n.cfg.RealertScan)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		n.realertScan(ctx, store)
	}
}

// scanTimeout bounds one pass over a sink's records: a watch that stops
// delivering (NATS gone mid-scan) must not hold the next scans back. A
// million records take seconds.
const scanTimeout = 5 * time.Minute

// realertScan queues a repetition for every (sink, job) whose bad health
// has gone unrepeated for the sink's interval. Each is claimed first by a
// revision-checked update of its state, so one replica sends it.
func (n *Notifier) realertScan(ctx context.Context, store notify.Store) {
	n.mu.Lock()
	var ws []*sinkWorker
	for _, w := range n.sinks {
		if w.def.Load().Realert > 0 {
			ws = append(ws, w)
		}
	}
	n.mu.Unlock()
	for _, w := range ws {
		if ctx.Err() != nil {
			return
		}
		if err := n.realertSink(ctx, store, w); err != nil {
			n.log.WarnContext(ctx, "re-alert scan failed", "sink", w.name, "error", err)
		}
	}
}

func (n *Notifier) realertSink(ctx context.Context, store notify.Store, w *sinkWorker) error {
	def := w.def.Load()
	now := n.cfg.Clock.Now().UTC()
	var failed error
	// One pass over the states. Reading each on its own took a round trip
	// per job: about 150,000 outlasted the scan's 10 s bound, and the jobs
	// after them were never repeated (BenchmarkRealertScan200k).
	sctx, cancel := context.WithTimeout(ctx, scanTimeout)
	defer cancel()
	err := store.States(sctx, w.name, func(job string, st notify.State, rev uint64) bool {
		if isBad(st.Alert) && st.RealertDue(def.Realert.D(), now) && def.Matches(st.Alert) {
			failed = n.realert(ctx, store, w, job, st, rev)
		}
		return failed == nil && ctx.Err() == nil
	})
	return cmp.Or(failed, err)
}

// realert claims a due repetition of a job's alert for a sink and queues
// it: a revision-checked update of its state, so one replica sends it.
func (n *Notifier) realert(ctx context.Context, store notify.Store, w *sinkWorker, job string, st notify.State, rev uint64) error {
	kctx, cancel := context.WithTimeout(ctx, kvTimeout)
	defer cancel()
	if gone, err := n.jobGone(kctx, job); err != nil {
		return err
	} else if gone {
		_ = store.KV.Purge(kctx, notify.StateKey(w.name, job)) // a deleted job has nothing to repeat
		return nil
	}
	st.Sent, st.Repeats = n.cfg.Clock.Now().UTC(), st.Repeats+1
	if _, err := store.PutState(kctx, w.name, job, st, rev); errors.Is(err, notify.ErrChanged) {
		return nil // another replica claimed it, or a new alert came
	} else if err != nil {
		return err
	}
	n.mu.Lock()
	ok := n.sinks[w.name] == w && w.enqueue(task{alert: st.Alert, seq: st.Seq, realert: true, repeat: st.Repeats})
	n.mu.Unlock()
	if !ok {
		n.log.WarnContext(ctx, "sink busy; re-alert skipped until the next interval", "sink", w.name, "job", job)
	}
	return nil
}

// jobGone reports whether a job's definition has been deleted.
func (n *Notifier) jobGone(ctx context.Context, job string) (bool, error) {
	kv, err := n.js.KeyValue(ctx, n.names.JobsBucket())
	if err != nil {
		return false, err
	}
	_, err = kv.Get(ctx, job)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return true, nil
	}
	return false, err
}
