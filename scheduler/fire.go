package scheduler

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/scheduler/internal/dispatch"
	"github.com/jetcron/jetcron/scheduler/internal/plan"
)

// errLeaseExpired means the lease may have ended before we acted.
var errLeaseExpired = errors.New("lease may have expired; not publishing")

// origin says where a work item came from, so its outcome lands right.
type origin struct {
	kind     originKind
	decision int // index into decisions, for slots
	pending  *pendingItem
	job      string
}

type originKind int

const (
	fromSlot originKind = iota
	fromPending
	fromBuffered
)

// tick fires everything due now: delayed runs whose job ended, due slots,
// due pending runs; then flushes cursors when it is time.
func (r *leaderRun) tick(ctx context.Context, _ string) error {
	now := r.now()
	var items []dispatch.Item
	var origins []origin

	decisions := r.plan.Due(now, r.s.cfg.MaxBatch)

	// Delayed runs: the ones whose job just ended, or all of them now and
	// then, and always those of a job with a slot due now: a delayed run
	// goes before its job's newer slots (published first in the batch, it
	// takes the job's one place on the work stream and the new slot waits
	// behind it), never after.
	offer := r.offerBuffered
	r.offerBuffered = nil
	if len(r.bufferedJobs) > 0 && !now.Before(r.nextBufferedRetry) {
		offer = offer[:0]
		for name := range r.bufferedJobs {
			offer = append(offer, name)
		}
		r.nextBufferedRetry = now.Add(bufferedRetry)
	}
	for _, d := range decisions {
		if r.bufferedJobs[d.Job] {
			offer = append(offer, d.Job)
		}
	}
	seen := map[string]bool{}
	for _, name := range offer {
		st := r.state.entries[name]
		ji := r.jobs[name]
		if seen[name] || st == nil || st.rt.Buffered == nil {
			continue
		}
		seen[name] = true
		if ji == nil { // deleted, or its definition became invalid
			r.skipDelayed(name, "its job's definition is gone")
			continue
		}
		if t := st.rt.Buffered.Trigger; ji.spec.Completions > 0 && st.rt.Fired >= int64(ji.spec.Completions) && (t == job.TriggerSchedule || t == job.TriggerCatchUp) {
			// A slot delayed before the job reached its completions (a
			// delayed slot counts when it runs) is one fire too many.
			r.skipDelayed(name, fmt.Sprintf("the job reached its %d completions while it waited", ji.spec.Completions))
			continue
		}
		items = append(items, r.item(ji, st.rt.Buffered.ID, st.rt.Buffered.Slot, st.rt.Buffered.Trigger, st.rt.Buffered.Params, st.rt.Buffered.ParentID, false))
		origins = append(origins, origin{kind: fromBuffered, job: name})
	}

	// Due slots.
	for i, d := range decisions {
		ji := r.jobs[d.Job]
		r.recordMissed(d, ji, "older than the catch-up window when a leader could fire it")
		for _, slot := range d.Fire {
			items = append(items, r.item(ji, job.ExecutionID(d.Job, slot.At), slot.At, slot.Trigger, nil, "", false))
			origins = append(origins, origin{kind: fromSlot, decision: i, job: d.Job})
		}
	}

	// Due pending runs.
	for len(r.pending) > 0 && !r.pending[0].p.At.After(now) && len(items) < r.s.cfg.MaxBatch*2 {
		it := heap.Pop(&r.pending).(*pendingItem)
		delete(r.pendIdx, it.p.ID)
		ji := r.jobs[it.p.Job]
		if ji == nil && now.Sub(it.p.CreatedAt) < unknownJobGrace {
			// The API checked the job before it wrote the run, but the
			// leader's watch of the jobs bucket may not have delivered a job
			// created a moment ago (the two buckets' watches are not
			// ordered): look again shortly.
			it.p.At = now.Add(250 * time.Millisecond)
			heap.Push(&r.pending, it)
			r.pendIdx[it.p.ID] = it
			continue
		}
		if ji == nil {
			r.emit(event.Event{Kind: event.Rejected, Job: it.p.Job, Execution: it.p.ID, Time: now, Trigger: it.p.Trigger, ParentID: it.p.ParentID, Reason: "job " + it.p.Job + " does not exist"})
			r.purgePending(ctx, it)
			continue
		}
		slot := it.p.Slot
		if slot.IsZero() {
			slot = it.p.At
		}
		items = append(items, r.item(ji, it.p.ID, slot, it.p.Trigger, it.p.Params, it.p.ParentID, it.p.Force))
		origins = append(origins, origin{kind: fromPending, pending: it, job: it.p.Job})
	}

	if len(items) > 0 {
		if !r.lease.Valid() {
			return errLeaseExpired
		}
		r.replaceRunning(ctx, items)
		results := r.disp.Publish(ctx, items, r.lease.Valid)
		lost := r.apply(ctx, now, decisions, results, origins)
		if lost {
			r.awaitEvents(ctx)
			r.flushPurges(ctx)
			return errLeaseExpired
		}
	}
	r.awaitEvents(ctx)
	r.flushPurges(ctx)
	if len(r.queued) > 0 {
		// Events not stored yet: no cursor moves past them (see awaitEvents).
		r.nextEventRetry = now.Add(eventRetry)
		return nil
	}

	if r.state.pending() && r.flushing == nil && !now.Before(r.nextFlush) {
		if !r.lease.Valid() {
			return errLeaseExpired
		}
		r.startFlush(ctx)
		r.nextFlush = now.Add(r.s.cfg.FlushInterval)
	} else if !r.state.pending() {
		r.nextFlush = now.Add(r.s.cfg.FlushInterval)
	}
	return nil
}

// item builds the work item of one execution of a job.
func (r *leaderRun) item(ji *jobInfo, id string, slot time.Time, trig job.Trigger, params map[string]string, parent string, force bool) dispatch.Item {
	return dispatch.Item{
		Work: job.Work{
			V:           job.WorkVersion,
			ID:          id,
			Job:         ji.spec.Name,
			ScheduledAt: slot.UTC(),
			Trigger:     trig,
			ParentID:    parent,
			Params:      params,
			Spec:        ji.spec,
			Revision:    ji.revision,
			Term:        r.lease.Term(),
		},
		Exclusive: exclusive(ji.spec, force),
	}
}

// apply records the outcome of every published item: events, cursors,
// delayed runs, pending keys. It reports whether publishing stopped because
// the lease may have ended.
func (r *leaderRun) apply(ctx context.Context, now time.Time, decisions []plan.Decision, results []dispatch.Result, origins []origin) (lost bool) {
	// Per decision: the cursor reached (slots up to the first failure).
	type progress struct {
		cursor  time.Time
		failed  bool
		fired   int64
		touched bool
	}
	prog := make([]progress, len(decisions))
	for i, d := range decisions {
		prog[i].cursor = d.Cursor
		if len(d.Fire) > 0 {
			// Missed slots before the first fire are accounted regardless.
			prog[i].cursor = d.Fire[0].At.Add(-time.Nanosecond)
			if len(d.Missed) > 0 {
				prog[i].cursor = maxTime(d.Missed[len(d.Missed)-1], prog[i].cursor)
			}
		}
	}
	for k, res := range results {
		o := origins[k]
		w := &res.Item.Work
		if errors.Is(res.Err, dispatch.ErrLeaseLost) {
			lost = true
		}
		switch o.kind {
		case fromSlot:
			p := &prog[o.decision]
			if p.failed {
				continue
			}
			switch res.Outcome {
			case dispatch.Published, dispatch.Duplicate:
				r.scheduled(w, now)
				p.fired++
				if w.Trigger == job.TriggerSchedule {
					r.s.cfg.Metrics.late(now.Sub(w.ScheduledAt))
				}
			case dispatch.Busy:
				r.busy(w, nil)
			default:
				p.failed = true
				r.log.WarnContext(ctx, "slot not published; will retry", "execution_id", w.ID, "error", res.Err)
				continue
			}
			p.cursor = w.ScheduledAt
			p.touched = true
		case fromPending:
			switch res.Outcome {
			case dispatch.Published, dispatch.Duplicate:
				r.scheduled(w, now)
				r.purgePending(ctx, o.pending)
			case dispatch.Busy:
				if r.busy(w, &o.pending.p) {
					continue // now the job's delayed run; its key goes when it is published
				}
				r.purgePending(ctx, o.pending)
			default:
				o.pending.p.At = now.Add(time.Second)
				heap.Push(&r.pending, o.pending)
				r.pendIdx[o.pending.p.ID] = o.pending
			}
		case fromBuffered:
			switch res.Outcome {
			case dispatch.Published, dispatch.Duplicate:
				r.scheduled(w, now)
				st := r.state.get(o.job)
				if b := st.rt.Buffered; b != nil && b.ID == w.ID {
					if it, ok := r.pendIdx[b.ID]; ok {
						heap.Remove(&r.pending, it.index)
						delete(r.pendIdx, b.ID)
					}
					if b.Stored {
						r.purges = append(r.purges, b.ID)
					}
					r.setBuffered(o.job, nil)
					if b.Trigger == job.TriggerSchedule || b.Trigger == job.TriggerCatchUp {
						// A delayed slot is a fire when it finally runs: it
						// counts towards completions now.
						st.rt.Fired++
						r.state.markDirty(o.job)
						r.s.cfg.Metrics.slot("fired", 1)
						r.replan(o.job)
					}
				}
			}
		}
	}
	for i, d := range decisions {
		p := prog[i]
		st := r.state.get(d.Job)
		if p.cursor.After(st.rt.LastSlot) {
			st.rt.LastSlot = p.cursor
			if ji := r.jobs[d.Job]; ji != nil {
				st.rt.SpecRevision = ji.revision
			}
			r.state.markDirty(d.Job)
		}
		if p.fired > 0 {
			st.rt.Fired += p.fired
			r.state.markDirty(d.Job)
			r.s.cfg.Metrics.slot("fired", int(p.fired))
		}
		if p.failed {
			r.replan(d.Job)
			r.plan.Retry(d.Job, st.rt.LastSlot, now.Add(time.Second))
			continue
		}
		if d.Done || p.fired != int64(len(d.Fire)) {
			r.replan(d.Job)
		}
	}
	return lost
}

// scheduled records that an execution is on the work stream.
func (r *leaderRun) scheduled(w *job.Work, now time.Time) {
	loc := w.Spec.Schedule.Location()
	r.emit(event.Event{
		Kind: event.Scheduled, Job: w.Job, Execution: w.ID, Time: now,
		ScheduledAt: event.Slot(w.ScheduledAt), WallTime: event.WallTime(w.ScheduledAt, loc), TZ: w.Spec.Schedule.TZ,
		Trigger: w.Trigger, Queue: w.Spec.Queue, Revision: w.Revision, Term: w.Term, Params: w.Params, ParentID: w.ParentID,
	})
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
