package notifier

import (
	"context"
	"errors"
	"time"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/notify"
)

// kvTimeout bounds one read or write of the notify bucket.
const kvTimeout = 10 * time.Second

// deliver handles one task of a sink and reports whether its alert must
// come again (the state could not be read or written, or the notifier
// stops mid-delivery).
func (n *Notifier) deliver(ctx context.Context, w *sinkWorker, store notify.Store, t task) (retry bool) {
	if w.budget.due(n.cfg.Clock.Now()) {
		n.summarize(ctx, w, store) // the last minute's, before this one counts
	}
	def := *w.def.Load()
	if t.realert {
		n.send(ctx, w, def, store, t)
		return false
	}
	kctx, cancel := context.WithTimeout(ctx, kvTimeout)
	st, rev, err := store.State(kctx, def.Name, t.alert.Job)
	cancel()
	if err != nil {
		n.log.WarnContext(ctx, "sink state unreadable; the alert comes again", "sink", def.Name, "job", t.alert.Job, "error", err)
		return true
	}
	if st.Handled(t.seq) {
		return false // handled before (a redelivery)
	}
	var sent time.Time
	if def.MatchesHealth(t.alert) {
		if stopped := n.send(ctx, w, def, store, t); stopped {
			return true
		}
		// Sent, or given up: either way a repetition is due from now.
		sent = n.cfg.Clock.Now().UTC()
	}
	if err := n.saveState(ctx, store, def.Name, t, sent, st, rev); err != nil {
		n.log.WarnContext(ctx, "sink state not written; the alert comes again", "sink", def.Name, "job", t.alert.Job, "error", err)
		return true
	}
	return false
}

// saveState records that the sink handled t's alert, over cur (at rev),
// re-reading it when another writer changed it meanwhile.
func (n *Notifier) saveState(ctx context.Context, store notify.Store, sink string, t task, sent time.Time, cur notify.State, rev uint64) error {
	for range 5 {
		kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), kvTimeout)
		_, err := store.PutState(kctx, sink, t.alert.Job, cur.With(t.seq, t.alert, sent), rev)
		if errors.Is(err, notify.ErrChanged) {
			cur, rev, err = store.State(kctx, sink, t.alert.Job)
			cancel()
			if err != nil {
				return err
			}
			continue
		}
		cancel()
		return err
	}
	return notify.ErrChanged
}

// send sends t to a sink, or holds it for the minute's summary when the
// sink sent its limit this minute (held, it counts as sent). It reports
// whether ctx ended first.
func (n *Notifier) send(ctx context.Context, w *sinkWorker, def notify.Sink, store notify.Store, t task) (stopped bool) {
	if !w.budget.take(n.cfg.Clock.Now(), def.PerMinute()) {
		w.budget.hold(t)
		return false
	}
	m := notify.NewMessage(def.Name, t.alert, n.cfg.UIURL)
	m.Realert, m.Repeat = t.realert, t.repeat
	_, stopped = n.attempts(ctx, def, store, m, notify.Delivery{
		Job: t.alert.Job, Health: t.alert.Health, AlertID: t.alert.MsgID(), Seq: t.seq, Realert: t.realert})
	return stopped
}

// attempts delivers m to a sink: up to MaxAttempts, with exponential
// back-off, each recorded as rec with the attempt's outcome. It reports
// whether the sink took it, and whether ctx ended first.
func (n *Notifier) attempts(ctx context.Context, def notify.Sink, store notify.Store, m notify.Message, rec notify.Delivery) (delivered, stopped bool) {
	backoff := n.cfg.Backoff
	for attempt := 1; ; attempt++ {
		r := n.sender.Send(ctx, def, m)
		if r.Err != nil && ctx.Err() != nil {
			return false, true // stopping: the alert comes again
		}
		last := r.Err == nil || r.Permanent || attempt >= n.cfg.MaxAttempts
		d := rec
		d.Time, d.Attempt, d.Code, d.Duration, d.By = n.cfg.Clock.Now().UTC(), attempt, r.Code, r.Duration, n.cfg.ID
		d.Status = notify.StatusDelivered
		if r.Err != nil {
			d.Error, d.Status = r.Err.Error(), notify.StatusFailed
			if last {
				d.Status = notify.StatusGaveUp
			}
		}
		n.record(ctx, store, def.Name, d)
		if last {
			if r.Err != nil {
				n.log.WarnContext(ctx, "notification not delivered; gave up", "sink", def.Name, "job", rec.Job, "health", rec.Health, "summary", rec.Summary, "attempts", attempt, "error", r.Err)
			} else {
				n.log.InfoContext(ctx, "notification delivered", "sink", def.Name, "job", rec.Job, "health", rec.Health, "summary", rec.Summary, "attempt", attempt, "realert", rec.Realert)
			}
			return r.Err == nil, false
		}
		n.log.InfoContext(ctx, "notification attempt failed; retrying", "sink", def.Name, "job", rec.Job, "summary", rec.Summary, "attempt", attempt, "retry_in", backoff, "error", r.Err)
		wait := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			wait.Stop()
			return false, true
		case <-wait.C:
		}
		backoff = min(2*backoff, n.cfg.BackoffMax)
	}
}

// record appends an attempt to the sink's log; a failure to record is
// logged, not retried: the delivery itself is what matters.
func (n *Notifier) record(ctx context.Context, store notify.Store, sink string, d notify.Delivery) {
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), kvTimeout)
	defer cancel()
	if err := store.AppendLog(kctx, sink, d); err != nil {
		n.log.WarnContext(ctx, "delivery not recorded", "sink", sink, "error", err)
	}
}

// isBad reports whether a state's health is one re-alerting repeats.
func isBad(a alert.Alert) bool { return notify.Bad(a.Health) }
