package watchdog

import (
	"slices"
	"time"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
)

// A tracker keeps the events of its job's recent slots for the ledger its
// rounds compute, and a round needs of them only whether each slot was
// fired, started and ended, and when. A whole event.Event is some 370
// bytes and a decoded copy of each of its strings: a million jobs whose
// slots all came due in the same minutes (every job on one cron) held
// about 3 KB each in the watchdog until their slots left its window, three
// times what the scheduler holds for them otherwise. So an event is kept
// as a kept, the fields event.Fold and the ledger read to tell a slot's
// firing and result (no worker, log, error or reason), its kind and
// trigger sharing the constants' bytes, and once a slot has its first
// final event the slot's earlier events are dropped: a final result is
// all the ledger needs to count the slot accounted and neither late nor
// due (keepSlot). A
// round turns them back into events for the ledger in a buffer it reuses.

// kept is an event of a job's slot, or a job_pruned range, as a tracker
// keeps it.
type kept struct {
	execution string // "" for a job_pruned range
	kind      event.Kind
	trigger   job.Trigger
	// about is the slot the event is about (the last of a range): when it
	// leaves the window the event goes.
	about, at, scheduledAt, last int64 // unix nanoseconds; 0: none
	revision                     uint64
	attempt, count               int32
}

// keepEvent is e as a tracker keeps it, about the slot about.
func keepEvent(e event.Event, about time.Time) kept {
	k := kept{execution: e.Execution, kind: canonical(e.Kind, keptKinds), trigger: canonical(e.Trigger, keptTriggers),
		about: about.UnixNano(), at: e.Time.UnixNano(), revision: e.Revision, attempt: int32(e.Attempt), count: int32(e.Count)}
	if e.ScheduledAt != nil {
		k.scheduledAt = e.ScheduledAt.UnixNano()
	}
	if e.Last != nil {
		k.last = e.Last.UnixNano()
	}
	return k
}

// event is k as an event of job name.
func (k *kept) event(name string) event.Event {
	e := event.Event{Kind: k.kind, Job: name, Execution: k.execution, Trigger: k.trigger, Time: time.Unix(0, k.at).UTC(),
		Revision: k.revision, Attempt: int(k.attempt), Count: int(k.count)}
	if k.scheduledAt != 0 {
		t := time.Unix(0, k.scheduledAt).UTC()
		e.ScheduledAt = &t
	}
	if k.last != 0 {
		t := time.Unix(0, k.last).UTC()
		e.Last = &t
	}
	return e
}

// aboutTime is the slot k is about.
func (k *kept) aboutTime() time.Time { return time.Unix(0, k.about).UTC() }

// settles reports whether e ends its slot for the ledger: a final event of
// one slot (not a range of missed slots, which names its first slot).
func settles(e *event.Event) bool {
	return e.Kind.Final() && e.Count <= 1 && job.IsSlotID(e.Execution)
}

// keepSlot appends k; the first final event of a slot first drops the
// slot's earlier events. Whatever came before it, the fold's state after
// a slot's first final event is that event's, and what follows it folds
// the same from there: so the ledger finds the slot ended, or not, from
// what is kept as from every event.
func (a *activity) keepSlot(k kept, final bool) {
	same := func(o kept) bool { return o.execution == k.execution && o.count <= 1 }
	if final && !slices.ContainsFunc(a.kept, func(o kept) bool { return same(o) && o.kind.Final() }) {
		a.kept = slices.DeleteFunc(a.kept, same)
	}
	a.kept = append(a.kept, k)
}

// events returns the kept events as events of job name, in buf (reused
// from round to round).
func (a *activity) events(name string, buf []event.Event) []event.Event {
	buf = buf[:0]
	for i := range a.kept {
		buf = append(buf, a.kept[i].event(name))
	}
	return buf
}

var (
	keptKinds = []event.Kind{event.Scheduled, event.Delayed, event.Started, event.Retrying, event.Succeeded, event.Failed, event.TimedOut,
		event.Cancelled, event.Skipped, event.Missed, event.Abandoned, event.Superseded, event.Rejected, event.FollowUp, event.JobPruned}
	keptTriggers = []job.Trigger{job.TriggerSchedule, job.TriggerCatchUp, job.TriggerBackfill, job.TriggerManual, job.TriggerEnqueue, job.TriggerFollowUp}
)

// canonical returns the constant of known equal to v, whose bytes every
// copy shares, or v.
func canonical[T ~string](v T, known []T) T {
	for _, c := range known {
		if c == v {
			return c
		}
	}
	return v
}
