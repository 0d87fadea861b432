package watchdog

import (
	"fmt"
	"sort"
	"time"

	"github.com/jetcron/jetcron/pkg/alert"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/ledger"
)

// verdict is a job's health at one instant and its cause.
type verdict struct {
	health    alert.Health
	reason    string
	slot      time.Time
	execution string
	revision  uint64
}

// priority orders the conditions a job can be in at once: its health is
// the first that holds.
var priority = []alert.Health{alert.Paused, alert.Unaccounted, alert.Failing, alert.Overrunning, alert.Late, alert.TooShort, alert.OK}

// window is the span of slots one round checks.
type window struct {
	// since is the oldest slot checked: never before the events the
	// replica has read (its look-back), else every older slot would look
	// unaccounted.
	since time.Time
	now   time.Time
	// keepFrom is the first keepFrom of an activity the round makes.
	keepFrom time.Time
	// scratch, when set, is the round's buffer for a job's kept events.
	scratch *[]event.Event
}

// evaluate derives the job's health at w.now from its expectations, its
// counters, its running runs and the ledger of its slots in the window.
func (t *tracker) evaluate(w window) verdict {
	if t.def == nil {
		return verdict{health: alert.OK}
	}
	if disabled, why := t.def.Disabled(); disabled {
		reason := "the job is disabled"
		if why != "" {
			reason += ": " + why
		}
		return verdict{health: alert.Paused, reason: reason, revision: t.rev()}
	}
	found := map[alert.Health]verdict{}
	t.checkSlots(w, found)
	a := t.view()
	x := t.def.Expect()
	if n := x.FailureThreshold(); a.failures >= n {
		reason := fmt.Sprintf("%d consecutive failed executions, the last %s (alert after %d)", a.failures, a.lastFailure, n)
		if a.failures == 1 {
			reason = fmt.Sprintf("execution %s failed (alert after 1)", a.lastFailure)
		}
		found[alert.Failing] = verdict{health: alert.Failing, execution: a.lastFailure, reason: reason}
	}
	if x.MaxRuntime > 0 {
		ids := make([]string, 0, len(a.running))
		for id := range a.running {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			if d := w.now.Sub(a.running[id].started); d > x.MaxRuntime.D() {
				found[alert.Overrunning] = verdict{health: alert.Overrunning, execution: id,
					reason: fmt.Sprintf("execution %s has run for %s, longer than max runtime %s", id, job.FormatDuration(d.Round(time.Second)), x.MaxRuntime)}
				break
			}
		}
	}
	if a.tooShort != "" && x.MinRuntime > 0 {
		found[alert.TooShort] = verdict{health: alert.TooShort, execution: a.tooShort,
			reason: fmt.Sprintf("execution %s succeeded sooner than min runtime %s", a.tooShort, x.MinRuntime)}
	}
	for _, h := range priority {
		if v, ok := found[h]; ok {
			return v
		}
	}
	return verdict{health: alert.OK}
}

// checkSlots adds the unaccounted and late conditions of the job's slots:
// the ledger of the window, from the events the replica holds.
func (t *tracker) checkSlots(w window, found map[alert.Health]verdict) {
	a := t.view()
	if !a.completedAfter.IsZero() || t.def == nil || !w.since.Before(w.now) {
		if t.act != nil {
			t.act.unaccounted = time.Time{}
		}
		return
	}
	// A job that did nothing, or whose slots in the window all ended, and
	// that has one definition and no episode of unaccounted slots open,
	// has nothing to find before quietUntil (below).
	still := len(t.older) == 0 && a.unaccounted.IsZero()
	if still && w.now.UnixNano() < t.quietUntil {
		return
	}
	t.quietUntil = 0
	grace := t.def.Expect().Grace()
	var one [1]ledger.Revision
	x, err := ledger.Expect(t.revisions(&one), ledger.Query{Job: t.name, Since: w.since, Until: w.now, Now: w.now, Grace: grace, MaxRows: maxRows})
	if err != nil {
		return
	}
	var evs []event.Event
	if w.scratch != nil {
		*w.scratch = a.events(t.name, *w.scratch)
		evs = *w.scratch
	} else {
		evs = a.events(t.name, nil)
	}
	l := ledger.Account(x, evs)
	var unaccounted []time.Time
	var late *ledger.Row
	firstDue, waiting := w.now, false
	for i, r := range l.Rows {
		switch {
		case r.Fired == ledger.FiredUnaccounted:
			unaccounted = append(unaccounted, r.Slot)
		case r.Fired == ledger.FiredLate && r.Result == ledger.ResultPending && late == nil:
			late = &l.Rows[i]
		case r.Fired == ledger.FiredDue && r.Slot.Before(firstDue):
			firstDue = r.Slot
		}
		if r.Result == ledger.ResultPending {
			waiting = true
		}
	}
	if still && len(unaccounted) == 0 && !waiting {
		// A job whose slots in the window all ended or never fired (and
		// one that did nothing: no event, no state but a quiet one) can
		// only become unaccounted without a new event: once a silent slot
		// is older than the grace (and its jitter). The first is a due
		// slot of this ledger, or one after now. Until then its ledger
		// says the same, and a round spares computing it: a million jobs
		// that ran cost a comparison each, not a ledger. A slot fired and
		// waiting to start may become late with time alone: not spared.
		// Any event of the job (apply) or a new definition (define) ends
		// the wait.
		t.quietUntil = firstDue.Add(grace).UnixNano()
	}
	switch {
	case len(unaccounted) > 0:
		if a.unaccounted.IsZero() || unaccounted[0].Before(a.unaccounted) {
			a = t.activity(w.keepFrom)
			a.unaccounted = unaccounted[0]
		}
	case !a.unaccounted.IsZero() && (!a.unaccounted.Before(w.since) || a.recordedSince(a.unaccounted)):
		// The episode's slot is in the window and accounted for now, or
		// it left the window and a slot at or after it was recorded since.
		a.unaccounted = time.Time{}
	}
	if !a.unaccounted.IsZero() {
		reason := fmt.Sprintf("slot %s was neither fired nor recorded within %s", a.unaccounted.Format(time.RFC3339), job.FormatDuration(grace))
		if n := len(unaccounted); n > 1 {
			reason += fmt.Sprintf(" (%d slots unaccounted in the last %s)", n, job.FormatDuration(w.now.Sub(w.since).Round(time.Second)))
		}
		found[alert.Unaccounted] = verdict{health: alert.Unaccounted, slot: a.unaccounted, reason: reason}
	}
	if late != nil {
		found[alert.Late] = verdict{health: alert.Late, slot: late.Slot,
			reason: fmt.Sprintf("slot %s was published but has not started within %s", late.Slot.Format(time.RFC3339), job.FormatDuration(grace))}
	}
}

// recordedSince reports whether an event names a slot at or after at.
func (a *activity) recordedSince(at time.Time) bool {
	from := at.UnixNano()
	for i := range a.kept {
		if a.kept[i].about >= from {
			return true
		}
	}
	return false
}

// maxRows bounds the slots one round checks per job.
const maxRows = 1000

// recovery is the cause an ok alert names: what ended the previous
// health.
func (t *tracker) recovery(prev alert.Health) verdict {
	v := verdict{health: alert.OK}
	a := t.view()
	switch prev {
	case alert.Paused:
		v.revision, v.reason = t.rev(), "the job is enabled"
	case alert.Failing, alert.TooShort:
		if a.lastSuccessExec != "" {
			v.execution, v.reason = a.lastSuccessExec, "execution "+a.lastSuccessExec+" succeeded"
		}
	case alert.Late:
		v.slot, v.reason = a.stored.slotTime(), "slot "+a.stored.slotTime().Format(time.RFC3339)+" started"
	case alert.Unaccounted:
		v.slot, v.reason = a.stored.slotTime(), "slot "+a.stored.slotTime().Format(time.RFC3339)+" is accounted for"
	case alert.Overrunning:
		v.execution, v.reason = a.stored.execution, "execution "+a.stored.execution+" ended"
	}
	if v.execution == "" && v.slot.IsZero() && v.revision == 0 {
		// Nothing of the job ended the condition: its definition changed
		// (a threshold raised, an expectation removed).
		v.revision, v.reason = t.rev(), "the job's expectations changed"
	}
	return v
}
