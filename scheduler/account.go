package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/scheduler/internal/catalog"
	"github.com/jetcron/jetcron/scheduler/internal/jobdef"
	"github.com/jetcron/jetcron/scheduler/internal/plan"
)

// accountChange records as missed the slots the previous definition of a
// job owed and no leader fired before spec replaced it — the job was
// disabled, or its schedule changed (a new schedule owes nothing before
// it) — so that no slot is left without a record. At a takeover the
// previous definition is not known: a disabled job accounts for its slots
// up to its disabling with the definition it has.
func (r *leaderRun) accountChange(prev *jobdef.Def, spec job.Spec) {
	until := minTime(spec.UpdatedAt, r.now())
	if !spec.DisabledAt.IsZero() {
		until = minTime(spec.DisabledAt, r.now())
	}
	switch {
	case prev == nil && spec.Disabled:
		r.accountUnfired(spec.Name, spec, until, "no leader fired it before the job was disabled")
	case prev == nil && !spec.DisabledAt.IsZero() && spec.DisabledAt.Before(spec.EnabledAt):
		// Disabled and enabled again while no leader ran: the slots it owed
		// before it was disabled. (With the schedule it has now: one changed
		// meanwhile is not known here.)
		owed := spec
		owed.EnabledAt = time.Time{}
		r.accountUnfired(spec.Name, owed, until, "no leader fired it before the job was disabled")
	case prev == nil || prev.Spec().Disabled:
		// Enabled again: the slots it owed before it was disabled were
		// accounted for then.
	case spec.Disabled:
		r.accountUnfired(spec.Name, prev.Spec(), until, "no leader fired it before the job was disabled")
	case spec.EnabledAt.After(prev.Spec().EnabledAt):
		r.accountUnfired(spec.Name, prev.Spec(), minTime(spec.EnabledAt, r.now()), "no leader fired it before the job's schedule changed")
	}
}

// accountUnfired records as missed every slot owed slots up to until
// that the job's cursor has not passed, and moves the cursor past them.
func (r *leaderRun) accountUnfired(name string, owed job.Spec, until time.Time, why string) {
	if until.IsZero() {
		return
	}
	st := r.state.get(name)
	sched, err := owed.Schedule.Compile()
	if err != nil {
		return
	}
	cursor, notBefore := r.cursorOf(name), owedFrom(owed)
	if cursor.IsZero() && notBefore.IsZero() {
		return
	}
	d := plan.Unfired(plan.Entry{Job: name, Schedule: sched, Cursor: cursor, NotBefore: notBefore, Remaining: -1}, until)
	if len(d.Missed) == 0 && d.MissedRange == nil {
		return
	}
	r.recordMissed(d, jobdef.Own(owed, 0, time.Time{}), why)
	if d.Cursor.After(st.rt.LastSlot) {
		st.rt.LastSlot = d.Cursor
		r.state.markDirty(name)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// accountTakeover accounts, at a takeover, for the slots a job owed that no
// leader fired before its definition changed while no leader ran (the
// previous definition is read from the jobs bucket's history). It reports
// whether the job's cursor moved.
func (r *leaderRun) accountTakeover(ctx context.Context, ji *jobdef.Def) bool {
	spec := ji.Spec()
	before := r.cursorOf(spec.Name)
	if spec.Disabled || !spec.DisabledAt.IsZero() {
		r.accountChange(nil, spec)
	}
	if cursor := r.cursorOf(spec.Name); !spec.Disabled && !cursor.IsZero() && spec.EnabledAt.After(cursor) {
		if old, ok := r.previousDefinition(ctx, spec.Name, ji.Revision(), spec.EnabledAt); ok && !old.Disabled {
			r.accountUnfired(spec.Name, old, minTime(spec.EnabledAt, r.now()), "no leader fired it before the job's schedule changed")
		}
	}
	return !r.cursorOf(spec.Name).Equal(before)
}

// previousDefinition returns the newest earlier revision of a job's
// definition whose slots were owed before enabledAt, if the bucket's
// history still holds one.
func (r *leaderRun) previousDefinition(ctx context.Context, name string, rev uint64, enabledAt time.Time) (job.Spec, bool) {
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	entries, err := r.jobs.kv.History(hctx, name)
	if err != nil {
		return job.Spec{}, false
	}
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		if e.Revision() >= rev || e.Operation() != jetstream.KeyValuePut {
			continue
		}
		old, err := catalog.DecodeSpec(name, e.Value())
		if err != nil || !owedFrom(*old).Before(enabledAt) {
			continue
		}
		return *old, true
	}
	return job.Spec{}, false
}

// accountDeleted accounts, at a takeover, for the slots owed by a job
// deleted while no leader ran (its state is still there): its last
// definition, from the jobs bucket's history, owed them until the
// deletion. The job's state then goes.
func (r *leaderRun) accountDeleted(ctx context.Context, name string) {
	hctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	entries, err := r.jobs.kv.History(hctx, name)
	if err != nil || len(entries) == 0 {
		return
	}
	last := entries[len(entries)-1]
	if last.Operation() == jetstream.KeyValuePut {
		return // not deleted: created again meanwhile, the watch brings it
	}
	for i := len(entries) - 2; i >= 0; i-- {
		if entries[i].Operation() != jetstream.KeyValuePut {
			continue
		}
		if old, err := catalog.DecodeSpec(name, entries[i].Value()); err == nil && !old.Disabled {
			r.accountUnfired(name, *old, minTime(last.Created(), r.now()), "no leader fired it before the job was deleted")
		}
		break
	}
	r.skipDelayed(name, "its job was deleted while it waited")
	r.state.remove(name)
}

// recordMissed emits the missed events of a decision.
func (r *leaderRun) recordMissed(d plan.Decision, ji *jobdef.Def, why string) {
	if len(d.Missed) == 0 && d.MissedRange == nil {
		return
	}
	loc := time.UTC
	tz := ""
	if ji != nil {
		loc, tz = ji.Schedule().Location(), ji.Schedule().TZ
	}
	now := r.now()
	for _, slot := range d.Missed {
		r.emit(event.Event{Kind: event.Missed, Job: d.Job, Execution: job.ExecutionID(d.Job, slot), Time: now, ScheduledAt: event.Slot(slot), WallTime: event.WallTime(slot, loc), TZ: tz, Reason: why})
	}
	if mr := d.MissedRange; mr != nil {
		reason := fmt.Sprintf("%d more slots up to %s: %s", mr.Count, mr.Last.Format(time.RFC3339), why)
		if mr.AtLeast {
			reason = fmt.Sprintf("at least %d more slots up to %s: %s", mr.Count, mr.Last.Format(time.RFC3339), why)
		}
		r.emit(event.Event{Kind: event.Missed, Job: d.Job, Execution: job.ExecutionID(d.Job, mr.First), Time: now, ScheduledAt: event.Slot(mr.First), Last: event.Slot(mr.Last), Count: mr.Count, TZ: tz, Reason: reason})
	}
	r.s.cfg.Metrics.slot("missed", len(d.Missed))
	if d.MissedRange != nil {
		r.s.cfg.Metrics.slot("missed", d.MissedRange.Count)
	}
}
