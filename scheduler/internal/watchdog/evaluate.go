package watchdog

import (
	"fmt"
	"sort"
	"time"

	"github.com/jetcron/jetcron/pkg/alert"
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
	// compiled shares compiled cron schedules across the round's jobs
	// (nil: each compiled anew).
	compiled *job.Compiled
}

// evaluate derives the job's health at w.now from its expectations, its
// counters, its running runs and the ledger of its slots in the window.
func (t *tracker) evaluate(w window) verdict {
	s := t.spec
	if s == nil {
		return verdict{health: alert.OK}
	}
	if s.Disabled {
		reason := "the job is disabled"
		if s.DisabledReason != "" {
			reason += ": " + s.DisabledReason
		}
		return verdict{health: alert.Paused, reason: reason, revision: t.rev}
	}
	found := map[alert.Health]verdict{}
	t.checkSlots(w, found)
	x := s.Expect
	if n := x.FailureThreshold(); t.failures >= n {
		reason := fmt.Sprintf("%d consecutive failed executions, the last %s (alert after %d)", t.failures, t.lastFailure, n)
		if t.failures == 1 {
			reason = fmt.Sprintf("execution %s failed (alert after 1)", t.lastFailure)
		}
		found[alert.Failing] = verdict{health: alert.Failing, execution: t.lastFailure, reason: reason}
	}
	if x.MaxRuntime > 0 {
		ids := make([]string, 0, len(t.running))
		for id := range t.running {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			if d := w.now.Sub(t.running[id].started); d > x.MaxRuntime.D() {
				found[alert.Overrunning] = verdict{health: alert.Overrunning, execution: id,
					reason: fmt.Sprintf("execution %s has run for %s, longer than max runtime %s", id, job.FormatDuration(d.Round(time.Second)), x.MaxRuntime)}
				break
			}
		}
	}
	if t.tooShort != "" && x.MinRuntime > 0 {
		found[alert.TooShort] = verdict{health: alert.TooShort, execution: t.tooShort,
			reason: fmt.Sprintf("execution %s succeeded sooner than min runtime %s", t.tooShort, x.MinRuntime)}
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
	if !t.completedAfter.IsZero() || len(t.revs) == 0 || !w.since.Before(w.now) {
		t.unaccounted = time.Time{}
		return
	}
	grace := t.spec.Expect.Grace()
	x, err := ledger.Expect(t.revs, ledger.Query{Job: t.name, Since: w.since, Until: w.now, Now: w.now, Grace: grace, MaxRows: maxRows, Compiled: w.compiled})
	if err != nil {
		return
	}
	l := ledger.Account(x, t.events)
	var unaccounted []time.Time
	var late *ledger.Row
	for i, r := range l.Rows {
		switch {
		case r.Fired == ledger.FiredUnaccounted:
			unaccounted = append(unaccounted, r.Slot)
		case r.Fired == ledger.FiredLate && r.Result == ledger.ResultPending && late == nil:
			late = &l.Rows[i]
		}
	}
	switch {
	case len(unaccounted) > 0:
		if t.unaccounted.IsZero() || unaccounted[0].Before(t.unaccounted) {
			t.unaccounted = unaccounted[0]
		}
	case !t.unaccounted.IsZero() && (!t.unaccounted.Before(w.since) || t.recordedSince(t.unaccounted)):
		// The episode's slot is in the window and accounted for now, or
		// it left the window and a slot at or after it was recorded since.
		t.unaccounted = time.Time{}
	}
	if !t.unaccounted.IsZero() {
		reason := fmt.Sprintf("slot %s was neither fired nor recorded within %s", t.unaccounted.Format(time.RFC3339), job.FormatDuration(grace))
		if n := len(unaccounted); n > 1 {
			reason += fmt.Sprintf(" (%d slots unaccounted in the last %s)", n, job.FormatDuration(w.now.Sub(w.since).Round(time.Second)))
		}
		found[alert.Unaccounted] = verdict{health: alert.Unaccounted, slot: t.unaccounted, reason: reason}
	}
	if late != nil {
		found[alert.Late] = verdict{health: alert.Late, slot: late.Slot,
			reason: fmt.Sprintf("slot %s was published but has not started within %s", late.Slot.Format(time.RFC3339), job.FormatDuration(grace))}
	}
}

// recordedSince reports whether an event names a slot at or after at.
func (t *tracker) recordedSince(at time.Time) bool {
	for _, s := range t.eventSlot {
		if !s.Before(at) {
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
	switch prev {
	case alert.Paused:
		v.revision, v.reason = t.rev, "the job is enabled"
	case alert.Failing, alert.TooShort:
		if t.lastSuccessExec != "" {
			v.execution, v.reason = t.lastSuccessExec, "execution "+t.lastSuccessExec+" succeeded"
		}
	case alert.Late:
		v.slot, v.reason = t.stored.Slot, "slot "+t.stored.Slot.Format(time.RFC3339)+" started"
	case alert.Unaccounted:
		v.slot, v.reason = t.stored.Slot, "slot "+t.stored.Slot.Format(time.RFC3339)+" is accounted for"
	case alert.Overrunning:
		v.execution, v.reason = t.stored.Execution, "execution "+t.stored.Execution+" ended"
	}
	if v.execution == "" && v.slot.IsZero() && v.revision == 0 {
		// Nothing of the job ended the condition: its definition changed
		// (a threshold raised, an expectation removed).
		v.revision, v.reason = t.rev, "the job's expectations changed"
	}
	return v
}
