package scheduler

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/pkg/wirejson"
)

// A leader writes its cursors about once a second, so the state a new
// leader loads may lag what the previous one did by its last second:
// slots it fired, runs it delayed, delayed runs it published. Taking the
// state as it is would record a slot that ran as missed (the catch-up
// policy "latest", or an outage longer than the window), lose a delayed run
// (its "delayed" event stored, the state never holding it), or offer a
// delayed run that already ran again. So, once the watches are synced and
// before the first round, the new leader reads the tail of the events and
// work streams — everything stored since a little before the newest state
// write — and brings the state up to it (recoverTail).
const (
	// recoverMargin is how far before the newest state write the tail
	// starts: several flush intervals.
	recoverMargin = 10 * time.Second
	// recoverMaxAge bounds the tail: a leader writes its cursors within a
	// second of a fire, so only a leader that died right after firing,
	// followed by an outage longer than this, leaves fires unread.
	recoverMaxAge = time.Hour
)

// tailFacts is what the tail says about one job.
type tailFacts struct {
	maxSlot time.Time
	// scheduled are the slot executions with a scheduled event, and the
	// event; delayed those with a delayed event; resolved those with an
	// event that ends a wait (scheduled, skipped, cancelled, missed, final).
	scheduled map[string]event.Event
	delayed   map[string]event.Event
	resolved  map[string]bool
	// works are slot work items on the work stream without a scheduled event
	// (a leader that died between publishing and recording); started the
	// first started event of each execution (one that already ran).
	works   map[string]job.Work
	started map[string]event.Event
}

// takeOver runs once per term, once the watches are synced and before the
// first round: it brings the state up to the tail of the streams, then
// accounts for the slots the jobs owed that no leader fired before their
// definitions changed or went while no leader ran.
func (r *leaderRun) takeOver(ctx context.Context) error {
	if err := r.recoverTail(ctx); err != nil {
		return fmt.Errorf("read what the previous leader did last: %w", err)
	}
	r.recovered = true
	r.state.written = nil // read by recoverTail alone: a map entry per job, freed
	r.dropUnstoredDelayed(ctx)
	if err := r.rebuildHolders(ctx); err != nil {
		return fmt.Errorf("read the executions holding concurrency keys: %w", err)
	}
	for name, k := range r.jobs.byName {
		if r.accountTakeover(ctx, k.def) {
			r.replan(name)
		}
	}
	for name := range r.state.entries {
		if r.jobs.def(name) == nil {
			r.accountDeleted(ctx, name)
		}
	}
	return nil
}

// dropUnstoredDelayed drops the delayed manual and enqueued runs of the
// loaded state whose key is gone from the pending bucket (the pending
// watch, synced, has delivered every key there is). A key goes when the
// API cancels the run (and records it cancelled), or when a leader
// published it (once its scheduled event was stored); either may come
// before a cursor flush stores the state without the run, and a term that
// ended between the two left it there: run again, a cancelled run would
// run. Nothing is recorded: what removed the key did.
func (r *leaderRun) dropUnstoredDelayed(ctx context.Context) {
	for name := range r.delayed.jobs {
		b := r.state.get(name).rt.Buffered
		if b == nil || !b.Stored {
			continue
		}
		if _, ok := r.pending.byID[b.ID]; ok {
			continue
		}
		r.log.InfoContext(ctx, "dropping a delayed run whose pending key is gone (cancelled, or published by the previous term)", "execution_id", b.ID)
		r.setBuffered(name, nil)
	}
}

// recoverTail brings the loaded state up to the tail of the streams (see
// above). It is called once per term, before the first round.
func (r *leaderRun) recoverTail(ctx context.Context) error {
	since := r.now().Add(-recoverMaxAge)
	var newest time.Time
	for _, t := range r.state.written {
		newest = maxTime(newest, t)
	}
	if !newest.IsZero() {
		since = maxTime(since, newest.Add(-recoverMargin))
	}
	// Events and work items come from other roles too: a slot after now
	// moves no cursor (a forged one would stop its job firing).
	now := r.now()
	facts := map[string]*tailFacts{}
	// handled are manual, enqueued and follow-up runs already published
	// or ended: a pending key the previous leader did not remove yet.
	handled := map[string]bool{}
	get := func(name string) *tailFacts {
		f := facts[name]
		if f == nil {
			f = &tailFacts{scheduled: map[string]event.Event{}, delayed: map[string]event.Event{}, resolved: map[string]bool{}, works: map[string]job.Work{}, started: map[string]event.Event{}}
			facts[name] = f
		}
		return f
	}
	err := r.readTail(ctx, r.s.names.EventsStream(), r.s.names.EventSubjects(), since, func(m streamio.Msg) {
		e, ok, err := event.Decode(m.Data)
		if err != nil || !ok || e.Execution == "" {
			return
		}
		name, slot, ok := slotOf(e.Execution)
		if !ok {
			if e.Kind == event.Scheduled || e.Kind.Final() {
				handled[e.Execution] = true
			}
			return
		}
		if name != e.Job || slot.After(now) {
			return // a slot not yet due was not fired: an event that says so is not believed
		}
		f := get(name)
		f.maxSlot = maxTime(f.maxSlot, slot)
		if e.Last != nil && !e.Last.After(now) { // a range of missed slots
			f.maxSlot = maxTime(f.maxSlot, *e.Last)
		}
		switch {
		case e.Kind == event.Scheduled:
			f.scheduled[e.Execution] = e
			f.resolved[e.Execution] = true
		case e.Kind == event.Delayed:
			f.delayed[e.Execution] = e
		case e.Kind == event.Started:
			if _, ok := f.started[e.Execution]; !ok {
				f.started[e.Execution] = e
			}
		case e.Kind.Final():
			f.resolved[e.Execution] = true
		}
	})
	if err != nil {
		return err
	}
	err = r.readTail(ctx, r.s.names.WorkStream(), r.s.names.WorkSubjects(), since, func(m streamio.Msg) {
		var w job.Work
		if wirejson.Unmarshal(m.Data, &w) != nil {
			return
		}
		name, slot, ok := slotOf(w.ID)
		if !ok || name != w.Job || slot.After(now) {
			return
		}
		f := get(name)
		f.maxSlot = maxTime(f.maxSlot, slot)
		f.works[w.ID] = w
	})
	if err != nil {
		return err
	}
	for name, f := range facts {
		switch {
		case r.jobs.def(name) != nil:
			r.applyTail(name, f)
		case r.state.entries[name] != nil:
			r.applyDeletedTail(name, f)
		}
	}
	for id := range handled {
		if r.pending.remove(id) {
			// Published again it would be recorded a second time (skipped,
			// if its job is busy now): remove its key instead.
			r.pending.purges = append(r.pending.purges, id)
		}
	}
	r.awaitEvents(ctx) // the scheduled events recorded above count too
	for name, k := range r.jobs.byName {
		if n := k.def.Spec().Completions; n > 0 && n <= maxRecount && !r.state.get(name).rt.Completed {
			if err := r.recountFires(ctx, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxRecount bounds the completions of a job whose fires a new leader
// counts again from the events stream.
const maxRecount = 10_000

// recountFires sets a job's fire count (what its completions count) to the
// number of its slots recorded scheduled: exact whatever the previous
// leader wrote of it before it stopped.
func (r *leaderRun) recountFires(ctx context.Context, name string) error {
	fired := map[string]bool{}
	err := r.readTail(ctx, r.s.names.EventsStream(), r.s.names.EventSubject(name, "*", string(event.Scheduled)), time.Time{}, func(m streamio.Msg) {
		e, ok, err := event.Decode(m.Data)
		if err != nil || !ok || e.Job != name || (e.Trigger != job.TriggerSchedule && e.Trigger != job.TriggerCatchUp) {
			return
		}
		if n, _, ok := slotOf(e.Execution); ok && n == name {
			fired[e.Execution] = true
		}
	})
	if err != nil {
		return err
	}
	st := r.state.get(name)
	if n := int64(len(fired)); n != st.rt.Fired {
		r.log.InfoContext(ctx, "fire count recounted from the events", "job", name, "was", st.rt.Fired, "now", n)
		st.rt.Fired = n
		r.state.markDirty(name)
		r.replan(name)
	}
	return nil
}

// applyTail brings one job's state up to its tail facts.
func (r *leaderRun) applyTail(name string, f *tailFacts) {
	st := r.state.get(name)
	written, hasWritten := r.state.written[name]
	cursor := st.rt.LastSlot
	changed := false
	// Fires the state does not count yet: recorded in a later term than
	// the one that wrote the state, or after its write.
	for _, e := range f.scheduled {
		if e.Trigger != job.TriggerSchedule && e.Trigger != job.TriggerCatchUp {
			continue
		}
		if !hasWritten || e.Term > st.rt.Term || (e.Term == st.rt.Term && e.Time.After(written)) {
			st.rt.Fired++
			changed = true
		}
	}
	if f.maxSlot.After(st.rt.LastSlot) {
		st.rt.LastSlot = f.maxSlot
		changed = true
	}
	// Work items on the stream that were never recorded: fires too.
	now := r.now()
	for id, w := range f.works {
		if _, ok := f.scheduled[id]; ok {
			continue
		}
		r.scheduled(&w, now)
		if w.Trigger == job.TriggerSchedule || w.Trigger == job.TriggerCatchUp {
			st.rt.Fired++
			changed = true
		}
	}
	// Slots after the written cursor that ran with no scheduled event: the
	// previous leader published them and lost its answer (a NATS quorum
	// lost); the work item is gone, its run recorded. Not re-published (the
	// cursor passes them), they are recorded scheduled from what the worker
	// recorded, as the re-publish used to.
	for id, e := range f.started {
		_, scheduled := f.scheduled[id]
		_, onStream := f.works[id]
		if scheduled || onStream || e.ScheduledAt == nil || !e.ScheduledAt.After(cursor) {
			continue
		}
		ji := r.jobs.def(name)
		w := job.Work{V: job.WorkVersion, ID: id, Job: name, ScheduledAt: e.ScheduledAt.UTC(), Trigger: e.Trigger, Spec: ji.Spec(), Revision: e.Revision}
		r.scheduled(&w, now)
		if w.Trigger == job.TriggerSchedule || w.Trigger == job.TriggerCatchUp {
			st.rt.Fired++
			changed = true
		}
	}
	// The delayed run the state holds, if the tail says it ran or ended.
	if b := st.rt.Buffered; b != nil && f.resolved[b.ID] {
		r.setBuffered(name, nil)
		changed = true
	}
	// Delayed runs the state does not hold: the job keeps one, the others
	// are recorded skipped.
	for id, e := range f.delayed {
		if f.resolved[id] || (st.rt.Buffered != nil && st.rt.Buffered.ID == id) {
			continue
		}
		if st.rt.Buffered == nil && e.ScheduledAt != nil {
			r.setBuffered(name, &job.Pending{ID: id, Job: name, At: *e.ScheduledAt, Slot: *e.ScheduledAt, Trigger: e.Trigger, Params: e.Params, ParentID: e.ParentID})
			changed = true
			continue
		}
		r.skipContended(event.Event{Kind: event.Skipped, Job: name, Execution: id, Time: now, ScheduledAt: e.ScheduledAt, Trigger: e.Trigger,
			Reason: "the previous execution had not ended and another run was already waiting (overlap delay keeps one)"})
	}
	if changed {
		r.log.Info("state brought up to what the previous leader did last", "job", name, "cursor", st.rt.LastSlot, "fired", st.rt.Fired, "delayed", st.rt.Buffered != nil)
		r.state.markDirty(name)
		r.replan(name)
	}
}

// applyDeletedTail brings the state of a job deleted while no leader ran
// up to the tail, before accountDeleted records the slots it owed until
// the deletion as missed: a slot the previous leader fired after its last
// cursor write is not one of them (chaos seed 3936468594: a slot that
// had run and succeeded, recorded missed too). Its delayed runs the state
// does not hold are recorded skipped, as its held one is.
func (r *leaderRun) applyDeletedTail(name string, f *tailFacts) {
	st := r.state.get(name)
	if f.maxSlot.After(st.rt.LastSlot) {
		st.rt.LastSlot = f.maxSlot
		r.state.markDirty(name)
	}
	if b := st.rt.Buffered; b != nil && f.resolved[b.ID] {
		r.setBuffered(name, nil)
	}
	for id, e := range f.delayed {
		if f.resolved[id] || (st.rt.Buffered != nil && st.rt.Buffered.ID == id) {
			continue
		}
		r.skipContended(event.Event{Kind: event.Skipped, Job: name, Execution: id, Time: r.now(), ScheduledAt: e.ScheduledAt, Trigger: e.Trigger,
			Reason: "its job was deleted while it waited"})
	}
}

// readTail calls fn for every message of stream matching filter stored at
// or after since.
func (r *leaderRun) readTail(ctx context.Context, stream, filter string, since time.Time, fn func(streamio.Msg)) error {
	req := streamio.DirectRequest{Stream: stream, Filter: filter, StartTime: since, Batch: 1000}
	if since.IsZero() {
		req.Seq = 1
	}
	for {
		tctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		msgs, err := streamio.DirectBatch(tctx, r.s.nc, req)
		cancel()
		if err != nil {
			return err
		}
		for _, m := range msgs {
			fn(m)
		}
		if len(msgs) < req.Batch {
			return nil
		}
		req.Seq, req.StartTime = msgs[len(msgs)-1].Seq+1, time.Time{}
	}
}

// slotOf parses a slot execution ID (not an ad hoc one, which carries a tag).
func slotOf(id string) (string, time.Time, bool) {
	name, slot, err := job.ParseExecutionID(id)
	if err != nil || strings.Contains(id[len(name):], "_") {
		return "", time.Time{}, false
	}
	return name, slot, true
}
