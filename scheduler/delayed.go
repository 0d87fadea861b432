package scheduler

import (
	"fmt"
	"time"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/scheduler/internal/plan"
)

// bufferedRetry is how often a delayed run is offered to the broker again
// besides when an execution of its job ends.
const bufferedRetry = time.Second

// delayedRuns are the delayed runs of overlap delay: the run a job keeps
// while one of its executions has not ended (job.Runtime.Buffered, in the
// state; overlap.go decides which run becomes one). Each is offered to the
// broker again when an execution of its job ends, every bufferedRetry,
// and before its job's newer slots.
type delayedRuns struct {
	// jobs are the jobs with a delayed run (state Buffered).
	jobs map[string]bool
	// nextRetry is when every delayed run is offered again.
	nextRetry time.Time
	// offer are jobs whose delayed run should be offered now: an
	// execution of theirs ended.
	offer []string
}

// jobEnded notes that an execution of a job ended: its delayed run, if it
// has one, is offered in the next round.
func (d *delayedRuns) jobEnded(name string) {
	if d.jobs[name] {
		d.offer = append(d.offer, name)
	}
}

// loadDelayed notes the delayed runs of the state loaded.
func (r *leaderRun) loadDelayed() {
	for name, e := range r.state.entries {
		if e.rt.Buffered != nil {
			r.delayed.jobs[name] = true
		}
	}
}

// dropDelayed drops the delayed run with execution ID id, if its job holds
// it (and match, when given, agrees), reporting whether it did.
func (r *leaderRun) dropDelayed(id string, match func(*job.Pending) bool) bool {
	name, _, err := job.ParseExecutionID(id)
	if err != nil {
		return false
	}
	st := r.state.entries[name]
	if st == nil || st.rt.Buffered == nil || st.rt.Buffered.ID != id || (match != nil && !match(st.rt.Buffered)) {
		return false
	}
	r.setBuffered(name, nil)
	return true
}

// skipDelayed records a job's delayed run, if it has one, as skipped and
// drops it (its job is gone).
func (r *leaderRun) skipDelayed(name, why string) {
	st := r.state.entries[name]
	if st == nil || st.rt.Buffered == nil {
		return
	}
	b := st.rt.Buffered
	r.skipContended(event.Event{Kind: event.Skipped, Job: name, Execution: b.ID, Time: r.now(), ScheduledAt: event.Slot(b.Slot), Trigger: b.Trigger, Params: b.Params, ParentID: b.ParentID, Reason: why})
	if b.Stored {
		r.pending.purges = append(r.pending.purges, b.ID)
	}
	r.setBuffered(name, nil)
}

// setBuffered records (or clears, with nil) a job's delayed run.
func (r *leaderRun) setBuffered(name string, p *job.Pending) {
	st := r.state.get(name)
	st.rt.Buffered = p
	r.state.markDirty(name)
	if p == nil {
		delete(r.delayed.jobs, name)
	} else {
		r.delayed.jobs[name] = true
	}
}

// offerDelayed adds to b the delayed runs to offer the broker now: those
// whose job just ended, or all of them now and then, and always those of
// a job with a slot due now: a delayed run goes before its job's newer
// slots (published first in the batch, it takes the job's one place on
// the work stream and the new slot waits behind it), never after.
func (r *leaderRun) offerDelayed(b *batch, now time.Time, decisions []plan.Decision) {
	offer := r.delayed.offer
	r.delayed.offer = nil
	if len(r.delayed.jobs) > 0 && !now.Before(r.delayed.nextRetry) {
		offer = offer[:0]
		for name := range r.delayed.jobs {
			offer = append(offer, name)
		}
		r.delayed.nextRetry = now.Add(bufferedRetry)
	}
	for _, d := range decisions {
		if r.delayed.jobs[d.Job] {
			offer = append(offer, d.Job)
		}
	}
	seen := map[string]bool{}
	for _, name := range offer {
		st := r.state.entries[name]
		ji := r.jobs.def(name)
		if seen[name] || st == nil || st.rt.Buffered == nil {
			continue
		}
		seen[name] = true
		if ji == nil { // deleted, or its definition became invalid
			r.skipDelayed(name, "its job's definition is gone")
			continue
		}
		if t := st.rt.Buffered.Trigger; ji.Spec().Completions > 0 && st.rt.Fired >= int64(ji.Spec().Completions) && (t == job.TriggerSchedule || t == job.TriggerCatchUp) {
			// A slot delayed before the job reached its completions (a
			// delayed slot counts when it runs) is one fire too many.
			r.skipDelayed(name, fmt.Sprintf("the job reached its %d completions while it waited", ji.Spec().Completions))
			continue
		}
		b.add(r.item(ji, st.rt.Buffered.ID, st.rt.Buffered.Slot, st.rt.Buffered.Trigger, st.rt.Buffered.Params, st.rt.Buffered.ParentID, false), origin{kind: fromBuffered, job: name})
	}
}

// delayedPublished drops a job's delayed run once the broker took it (id
// is the execution published); a delayed slot counts as fired then.
func (r *leaderRun) delayedPublished(name, id string) {
	st := r.state.get(name)
	b := st.rt.Buffered
	if b == nil || b.ID != id {
		return
	}
	r.pending.remove(b.ID)
	if b.Stored {
		r.pending.purges = append(r.pending.purges, b.ID)
	}
	r.setBuffered(name, nil)
	if b.Trigger == job.TriggerSchedule || b.Trigger == job.TriggerCatchUp {
		// A delayed slot is a fire when it finally runs: it
		// counts towards completions now.
		st.rt.Fired++
		r.state.markDirty(name)
		r.s.cfg.Metrics.slot("fired", 1)
		r.replan(name)
	}
}
