package scheduler

import (
	"context"
	"errors"
	"time"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/scheduler/internal/dispatch"
	"github.com/jetcron/jetcron/scheduler/internal/jobdef"
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

// tick fires everything due now, if the leader's copy of the job
// definitions is known to be current (jobsview.go), else checks it; then
// flushes cursors when it is time.
func (r *leaderRun) tick(ctx context.Context) error {
	now := r.now()
	r.checkHolders(ctx, now)
	if err := r.view.behind(now); err != nil {
		return err
	}
	if !r.fireWake(now).After(now) && r.view.aging(now) {
		// Checked again before it is too old: a steady flow of fires
		// does not wait for the check.
		r.checkView(ctx, now)
	}
	if r.view.current(now) {
		if err := r.fire(ctx, now); err != nil {
			return err
		}
	}
	r.awaitEvents(ctx)
	r.flushPurges(ctx)
	if len(r.events.queued) > 0 {
		// Events not stored yet: no cursor moves past them (see awaitEvents).
		r.events.nextRetry = now.Add(eventRetry)
		return nil
	}
	return r.flushIfDue(ctx, now)
}

// fire publishes what is due: delayed runs whose job ended, due slots, due
// pending runs.
func (r *leaderRun) fire(ctx context.Context, now time.Time) error {
	var b batch

	decisions := r.plan.Due(now, r.s.cfg.MaxBatch)
	if len(decisions) > 1 {
		// Items are large (a definition each): no regrowing in a burst.
		n := 0
		for _, d := range decisions {
			n += len(d.Fire)
		}
		b.items, b.origins = make([]dispatch.Item, 0, n), make([]origin, 0, n)
	}

	// Delayed runs first: one goes before its job's newer slots, never
	// after (see offerDelayed).
	r.offerDelayed(&b, now, decisions)

	// Due slots.
	for i, d := range decisions {
		ji := r.jobs.def(d.Job)
		r.recordMissed(d, ji, "older than the catch-up window when a leader could fire it")
		r.recordSkipped(d, ji)
		for _, slot := range d.Fire {
			b.add(r.item(ji, job.ExecutionID(d.Job, slot.At), slot.At, slot.Trigger, nil, "", false), origin{kind: fromSlot, decision: i, job: d.Job})
		}
	}

	r.duePending(ctx, &b, now)

	if len(b.items) > 0 {
		if !r.lease.Valid() {
			return errLeaseExpired
		}
		r.replaceRunning(ctx, b.items)
		results := r.publishGated(ctx, b.items)
		lost := r.apply(ctx, now, decisions, results, b.origins)
		if lost {
			r.awaitEvents(ctx)
			r.flushPurges(ctx)
			return errLeaseExpired
		}
	}
	return nil
}

// batch is the work items of one round, and where each came from.
type batch struct {
	items   []dispatch.Item
	origins []origin
}

func (b *batch) add(it dispatch.Item, o origin) {
	b.items = append(b.items, it)
	b.origins = append(b.origins, o)
}

// item builds the work item of one execution of a job.
func (r *leaderRun) item(ji *jobdef.Def, id string, slot time.Time, trig job.Trigger, params map[string]string, parent string, force bool) dispatch.Item {
	return dispatch.Item{
		Work: job.Work{
			V:           job.WorkVersion,
			ID:          id,
			Job:         ji.Name(),
			ScheduledAt: slot.UTC(),
			Trigger:     trig,
			ParentID:    parent,
			Params:      params,
			Spec:        ji.Spec(),
			Revision:    ji.Revision(),
			Term:        r.lease.Term(),
		},
		Exclusive: exclusive(ji.Spec(), force),
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
				r.busy(w, nil, res.Err)
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
				if r.busy(w, &o.pending.p, res.Err) {
					continue // now the job's delayed run; its key goes when it is published
				}
				r.purgePending(ctx, o.pending)
			default:
				o.pending.p.At = now.Add(time.Second)
				r.pending.push(o.pending)
			}
		case fromBuffered:
			switch res.Outcome {
			case dispatch.Published, dispatch.Duplicate:
				r.scheduled(w, now)
				r.delayedPublished(o.job, w.ID)
			}
		}
	}
	for i, d := range decisions {
		p := prog[i]
		if !p.failed && len(d.Skipped) > 0 {
			p.cursor = maxTime(p.cursor, d.Cursor) // past the slots a calendar skipped
		}
		st := r.state.get(d.Job)
		if p.cursor.After(st.rt.LastSlot) {
			st.rt.LastSlot = p.cursor
			if ji := r.jobs.def(d.Job); ji != nil {
				st.rt.SpecRevision = ji.Revision()
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
			r.jobs.retry(r.plan, d.Job, st.rt.LastSlot, now.Add(time.Second))
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
	r.traceSlot(w)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
