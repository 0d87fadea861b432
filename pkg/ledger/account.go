package ledger

import (
	"fmt"
	"slices"
	"time"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
)

// missedRange is a range-missed event: Count slots from first to last; or,
// pruned, a job_pruned event: the executions of slots from first to last
// that have no events left were deleted by the job's retention.
type missedRange struct {
	first, last time.Time
	reason      string
	pruned      bool
}

// Account builds the ledger of x from the job's events (in stream order;
// other jobs' events and ad hoc runs are ignored).
func Account(x Expected, events []event.Event) Ledger {
	q := x.q
	bySlot := map[string][]event.Event{}
	backfills := backfillEvents{}
	var ranges []missedRange
	for _, e := range events {
		if e.Job == q.Job && e.Kind == event.JobPruned && e.ScheduledAt != nil && e.Last != nil {
			ranges = append(ranges, missedRange{first: *e.ScheduledAt, last: *e.Last, pruned: true,
				reason: fmt.Sprintf("pruned at %s with %s: %s", e.Time.UTC().Format(time.RFC3339), plural(e.Count, "execution"), e.Reason)})
			continue
		}
		if e.Job != q.Job || e.Execution == "" || backfills.add(e) || !job.IsSlotID(e.Execution) {
			continue
		}
		bySlot[e.Execution] = append(bySlot[e.Execution], e)
		if e.Kind == event.Missed && e.Count > 1 && e.Last != nil && e.ScheduledAt != nil {
			ranges = append(ranges, missedRange{first: *e.ScheduledAt, last: *e.Last, reason: e.Reason})
		}
	}
	l := Ledger{
		Job: q.Job, Since: q.Since.UTC(), Until: q.Until.UTC(), Now: q.Now.UTC(), Grace: job.Duration(q.Grace),
		Slots: x.total, Rows: make([]Row, 0, len(x.slots)),
		Fired: map[Fired]int{}, Results: map[Result]int{}, Notes: x.notes,
	}
	listed := map[string]bool{}
	for _, s := range x.slots {
		id := job.ExecutionID(q.Job, s.at)
		listed[id] = true
		r := Row{Slot: s.at, ExecutionID: id, Revision: s.revision}
		if evs := bySlot[id]; len(evs) > 0 {
			fromEvents(&r, evs, q.Now, q.Grace+s.jitter)
		} else {
			r.Fired, r.Reason = silent(s, ranges, q)
		}
		l.Rows = append(l.Rows, r)
	}
	// Slots the events name that no kept definition expects.
	from := x.From()
	for id, evs := range bySlot {
		_, at, err := job.ParseExecutionID(id)
		if err != nil || listed[id] || at.Before(from) || at.After(q.Until) || !hasRun(evs) {
			continue
		}
		r := Row{Slot: at.UTC(), ExecutionID: id, Unexpected: true}
		if rev, ok := revisionAt(x.revs, at); ok {
			r.Revision = rev.Revision
		}
		fromEvents(&r, evs, q.Now, q.Grace)
		l.Rows = append(l.Rows, r)
	}
	slices.SortStableFunc(l.Rows, func(a, b Row) int { return a.Slot.Compare(b.Slot) })
	backfills.attach(l.Rows)
	if over := len(l.Rows) - q.MaxRows; over > 0 {
		l.Rows = l.Rows[over:]
		l.Notes = append(l.Notes, fmt.Sprintf("%d older rows of slots no kept definition expects are left out", over))
	}
	for _, r := range l.Rows {
		l.Fired[r.Fired]++
		if r.Result != "" {
			l.Results[r.Result]++
		}
	}
	return l
}

// hasRun reports whether events record something of a slot besides a
// range-missed event that merely starts at it.
func hasRun(evs []event.Event) bool {
	for _, e := range evs {
		if e.Kind != event.Missed || e.Count <= 1 {
			return true
		}
	}
	return false
}

// silent is the outcome of a slot no event names.
func silent(s slot, ranges []missedRange, q Query) (Fired, string) {
	for _, mr := range ranges {
		if !s.at.Before(mr.first) && !s.at.After(mr.last) {
			if mr.pruned {
				return FiredPruned, mr.reason
			}
			return FiredMissed, mr.reason
		}
	}
	switch {
	case s.paused && s.why != "":
		return FiredPaused, "the job was disabled: " + s.why
	case s.paused:
		return FiredPaused, "the job was disabled"
	case q.Now.Sub(s.at) <= q.Grace+s.jitter:
		return FiredDue, ""
	}
	return FiredUnaccounted, "no event records this slot"
}

// fromEvents fills r from the slot's own events.
func fromEvents(r *Row, evs []event.Event, now time.Time, grace time.Duration) {
	x := event.Fold(evs)
	if x.Revision != 0 {
		r.Revision = x.Revision
	}
	r.Attempts = len(x.Attempts)
	switch x.State {
	case job.StateSkipped:
		r.Fired, r.Reason = FiredSkipped, x.Error
		return
	case job.StateMissed:
		r.Fired, r.Reason = FiredMissed, x.Error
		return
	}
	r.Result, r.Reason = result(x)
	var scheduled time.Time
	for _, e := range evs {
		if e.Kind == event.Scheduled {
			scheduled = e.Time
			break
		}
	}
	var lateness time.Duration
	known := true
	switch {
	case len(x.Attempts) > 0:
		lateness = x.Attempts[0].StartedAt.Sub(r.Slot)
	case !x.State.Final() && now.Sub(r.Slot) > grace:
		lateness = now.Sub(r.Slot) // still waiting to start
		if r.Reason == "" {
			r.Reason = "not started yet"
		}
	case !scheduled.IsZero():
		lateness = scheduled.Sub(r.Slot)
	default:
		known = false
	}
	if known {
		ms := max(lateness, 0).Milliseconds()
		r.LatenessMS = &ms
	}
	switch {
	case x.Delayed:
		r.Fired = FiredDelayed
	case x.Trigger == job.TriggerCatchUp:
		r.Fired = FiredCaughtUp
	case known && lateness > grace:
		r.Fired = FiredLate
	default:
		r.Fired = FiredOnTime
	}
}

// result maps a folded execution's state onto Result, with the reason of
// an ending other than success.
func result(x job.Execution) (Result, string) {
	switch x.State {
	case job.StateRunning:
		return ResultRunning, ""
	case job.StateRetrying:
		return ResultRetrying, x.Error
	case job.StateSucceeded:
		return ResultSucceeded, ""
	case job.StateFailed:
		return ResultFailed, x.Error
	case job.StateTimedOut:
		return ResultTimedOut, x.Error
	case job.StateCancelled:
		if event.IsReplaced(x.Error) {
			return ResultReplaced, x.Error
		}
		return ResultCancelled, x.Error
	}
	return ResultPending, ""
}

// plural writes n and noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
