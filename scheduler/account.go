package scheduler

import (
	"time"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/scheduler/internal/plan"
)

// accountChange records as missed the slots the previous definition of a
// job owed and no leader fired before spec replaced it — the job was
// disabled, or its schedule changed (a new schedule owes nothing before
// it) — so that no slot is left without a record. At a takeover the
// previous definition is not known: a disabled job accounts for its slots
// up to its disabling with the definition it has.
func (r *leaderRun) accountChange(prev *jobInfo, spec job.Spec) {
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
	case prev == nil || prev.spec.Disabled:
		// Enabled again: the slots it owed before it was disabled were
		// accounted for then.
	case spec.Disabled:
		r.accountUnfired(spec.Name, prev.spec, until, "no leader fired it before the job was disabled")
	case spec.EnabledAt.After(prev.spec.EnabledAt):
		r.accountUnfired(spec.Name, prev.spec, minTime(spec.EnabledAt, r.now()), "no leader fired it before the job's schedule changed")
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
	r.recordMissed(d, &jobInfo{spec: owed}, why)
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
