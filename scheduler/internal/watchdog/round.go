package watchdog

import (
	"context"
	"time"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/health"
)

// writeTimeout bounds one alert publish or state write.
const writeTimeout = 10 * time.Second

// echoWait bounds how long a round waits for the echoes of a batch of
// its writes (awaitEchoes).
const echoWait = 2 * time.Second

// round checks every job once.
func (w *Watchdog) round(ctx context.Context) {
	now := w.cfg.Clock.Now()
	if w.behind(ctx, now) {
		return
	}
	var writes []stateWrite
	defer func() { w.store(ctx, writes) }()
	echoes := true // waiting for the echoes of the round's writes
	// Jobs per health (ok apart: most jobs, counted without the map), and
	// jobs the bound leaves without series.
	byHealth, ok, omitted := map[alert.Health]int{}, 0, 0
	var scratch []event.Event // a job's kept events, for its ledger
	// In the map's order: sorting a million names each round took a
	// slice of them and their comparisons, and no reader needs an order.
	for name, t := range w.trackers {
		if ctx.Err() != nil {
			return
		}
		if t.def == nil {
			// Events of a job without a definition (deleted, or not
			// delivered yet): kept a while, then forgotten.
			t.trim(now.Add(-w.cfg.Window), now)
			if t.idle() {
				delete(w.trackers, name)
			}
			continue
		}
		if t.def.Completions() > 0 && t.view().completedAfter.IsZero() {
			if at := w.completedAfter(ctx, name); !at.IsZero() {
				t.activity(w.keepFrom(t, now)).completedAfter = at
			}
		}
		since := now.Add(-t.def.Expect().Grace() - t.def.Jitter() - w.cfg.Window)
		if from := w.from.Add(skew); since.Before(from) {
			since = from
		}
		v := t.evaluate(window{since: since, now: now, keepFrom: since.Add(-time.Minute), scratch: &scratch})
		if sw, ok := w.settle(ctx, t, v, now); ok {
			writes = append(writes, sw)
			if len(writes) == storeBatch {
				last := w.store(ctx, writes)
				writes = writes[:0]
				if echoes {
					// Once a wait runs out (the watch is behind, or
					// opening again), the round stops waiting.
					echoes = w.awaitEchoes(last, echoWait)
				}
				w.drainHealth()
			}
		}
		a := t.view()
		shown := v.health
		if a.hasStored && a.stored.seq > a.seq {
			shown = a.stored.health // another replica is ahead: show what it decided
		}
		// Set only when they change: a million jobs' gauges each round
		// cost the registry's lookups for nothing. A job that has been ok
		// with nothing counted all along has none: a million such jobs'
		// series took 380 bytes each. A job the bound leaves without
		// series asks again each round.
		if g := gaugesOf(shown, a.failures, a.lastSuccess); g != t.gauges && (t.gauges != gauges{} || g != quietGauges) {
			if w.cfg.Metrics.set(name, shown, a.failures, a.lastSuccess) {
				t.gauges = g
			} else {
				omitted++
			}
		}
		if shown == alert.OK {
			ok++
		} else {
			byHealth[shown]++
		}
		t.trim(since.Add(-time.Minute), now)
	}
	byHealth[alert.OK] = ok
	w.cfg.Metrics.counted(byHealth, omitted)
}

// settle decides the state that makes the stored one say v: when the
// health changes, the state carries the alert that announces it (store
// appends it, then writes the state with a revision check); it also
// returns one when counters changed. A replica whose view of the job's
// events is older than the stored one leaves the state to the replica that
// is ahead. A failed write is tried again next round; an alert appended
// twice (a retry, or another replica that saw the same change) is stored
// once.
//
// A job without a stored state is ok with nothing counted: its first
// state says so, and its first change is from ok. While a job did nothing
// its stored state is kept in the tracker (keepStored), not in an
// activity: a million new jobs are a million states.
func (w *Watchdog) settle(ctx context.Context, t *tracker, v verdict, now time.Time) (stateWrite, bool) {
	if t.act == nil && t.quietRev != 0 {
		if v.health == alert.OK {
			return stateWrite{}, false // still ok, nothing counted
		}
		t.activity(w.keepFrom(t, now)) // the stored quiet state moves into it
	}
	a := t.view()
	next := health.State{Health: alert.OK, Since: now}
	if a.hasStored {
		if a.seq < a.stored.seq {
			return stateWrite{}, false
		}
		next = a.stored.state(t.name)
	}
	next.Job = t.name
	prev := next.Health
	changed := prev != v.health
	var al *alert.Alert
	if changed {
		if v.health == alert.OK {
			v = t.recovery(prev)
		}
		al = &alert.Alert{Job: t.name, Health: v.health, Previous: prev, Slot: v.slot, Execution: v.execution,
			Revision: v.revision, Reason: v.reason, Time: now, Labels: t.def.Labels(), Detector: w.cfg.Detector}
		next.Health, next.Since, next.Reason, next.Slot, next.Execution = v.health, now, v.reason, v.slot, v.execution
	}
	counters := next.ConsecutiveFailures != a.failures || !next.LastSuccess.Equal(a.lastSuccess)
	if !changed && !counters && a.hasStored {
		return stateWrite{}, false
	}
	next.ConsecutiveFailures, next.LastSuccess, next.Seq = a.failures, a.lastSuccess, a.seq
	next.Detector, next.Updated = w.cfg.Detector, now
	data, err := health.Encode(next)
	if err != nil {
		w.log.ErrorContext(ctx, "watchdog made an invalid health state", "job", t.name, "error", err)
		return stateWrite{}, false
	}
	return stateWrite{t: t, next: next, data: data, alert: al}, true
}
