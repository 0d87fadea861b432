package notifier

import (
	"context"
	"time"

	"github.com/jetcron/jetcron/pkg/notify"
)

// summaryPoll is how often a sink with a summary waiting looks whether its
// minute is over. It runs on the wall clock; whether the minute is over is
// decided on Config.Clock (see realertLoop for why no timer of it).
const summaryPoll = time.Second

// budget counts a sink's notifications in its current minute and holds
// the summary of those beyond its limit (notify.Sink.Limit). Only the
// sink's worker uses it. A minute starts with the first notification after
// the last one ended, so at most the limit go in any such minute; each
// replica counts its own.
type budget struct {
	from    time.Time      // the minute's start; zero before the first
	sent    int            // notifications sent in it
	held    notify.Summary // the alerts held back in it (Total 0: none)
	pollFor *time.Timer    // wall clock, while held has some
}

// take reports whether one more notification may go at now, at most
// limit a minute, and counts it.
func (b *budget) take(now time.Time, limit int) bool {
	if b.from.IsZero() || !now.Before(b.from.Add(time.Minute)) {
		b.from, b.sent = now, 0
	}
	if b.sent >= limit {
		return false
	}
	b.sent++
	return true
}

// hold counts t among the alerts of this minute that are not sent.
func (b *budget) hold(t task) {
	if b.held.Total == 0 {
		b.held.From = b.from
		b.pollFor = time.NewTimer(summaryPoll)
	}
	b.held.Add(t.alert, t.realert)
}

// due reports whether a summary waits and its minute is over at now.
func (b *budget) due(now time.Time) bool {
	return b.held.Total > 0 && !now.Before(b.from.Add(time.Minute))
}

// poll is the channel that wakes the sink's worker to look whether the
// summary is due (nil while there is none).
func (b *budget) poll() <-chan time.Time {
	if b.pollFor == nil {
		return nil
	}
	return b.pollFor.C
}

// polled arms the next look, when the summary is not due yet.
func (b *budget) polled() {
	if b.held.Total > 0 {
		b.pollFor.Reset(summaryPoll)
	}
}

// flush takes the summary to send, ending its minute.
func (b *budget) flush(limit int) notify.Summary {
	s := b.held
	s.To, s.Limit = s.From.Add(time.Minute), limit
	b.held = notify.Summary{}
	if b.pollFor != nil {
		b.pollFor.Stop()
		b.pollFor = nil
	}
	return s
}

// summarize sends the sink's summary if its minute is over. A summary is
// sent once, with the retries of an alert; a replica that stops before
// the minute is over does not send it (the alerts are in the alerts
// stream, and `jetcron job list` shows every job's health).
func (n *Notifier) summarize(ctx context.Context, w *sinkWorker, store notify.Store) {
	if !w.budget.due(n.cfg.Clock.Now()) {
		w.budget.polled()
		return
	}
	def := *w.def.Load()
	s := w.budget.flush(def.PerMinute())
	m := notify.NewSummaryMessage(def.Name, s, n.cfg.UIURL)
	n.log.InfoContext(ctx, "alerts beyond the sink's limit go as one summary", "sink", def.Name, "alerts", s.Total, "limit", s.Limit)
	n.attempts(ctx, def, store, m, notify.Delivery{AlertID: m.ID(), Summary: s.Total})
}
