package scheduler

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/leader"
	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/scheduler/internal/catalog"
	"github.com/jetcron/jetcron/scheduler/internal/dispatch"
	"github.com/jetcron/jetcron/scheduler/internal/plan"
)

// bufferedRetry is how often a delayed run is offered to the broker again
// besides when an execution of its job ends.
const bufferedRetry = time.Second

// jobInfo is a job the leader knows.
type jobInfo struct {
	spec     job.Spec
	revision uint64
}

// leaderRun is one term of leadership: the loop and everything it owns.
type leaderRun struct {
	s       *Scheduler
	lease   *leader.Lease
	log     *slog.Logger
	plan    *plan.Plan
	state   *stateStore
	jobs    map[string]*jobInfo
	invalid map[string]uint64 // job -> revision reported invalid
	pending pendingHeap
	pendIdx map[string]*pendingItem
	pendKV  jetstream.KeyValue

	// bufferedJobs are the jobs with a delayed run (state Buffered).
	bufferedJobs      map[string]bool
	nextBufferedRetry time.Time
	// nextEventRetry is when queued events are offered again.
	nextEventRetry time.Time
	// recovered is set once the tail of the streams is read (recover.go);
	// loadedDisabled are the disabled jobs loaded before, whose unfired
	// slots are accounted for then.
	recovered      bool
	loadedDisabled []string
	events         *event.Publisher
	disp           *dispatch.Dispatcher
	queued         []queuedEvent

	nextFlush time.Time
	// flushing is the cursor flush in flight, if any; flushed hands it
	// back to the loop once sent.
	flushing *flushBatch
	flushed  chan *flushBatch
	// bg tracks goroutines the run started; run waits for them.
	bg sync.WaitGroup
	// offerBuffered are jobs whose delayed run should be offered now.
	offerBuffered []string
	// purges are pending keys to remove once the round's events are stored.
	purges []string
}

// queuedEvent is an event waiting to be stored, with its message.
type queuedEvent struct {
	m *nats.Msg
	e event.Event
}

func newLeaderRun(s *Scheduler, l *leader.Lease) *leaderRun {
	return &leaderRun{
		s:       s,
		lease:   l,
		log:     s.log.With("term", l.Term()),
		plan:    plan.New(),
		jobs:    map[string]*jobInfo{},
		invalid: map[string]uint64{},
		pendIdx: map[string]*pendingItem{},

		bufferedJobs: map[string]bool{},
		flushed:      make(chan *flushBatch, 1),
		events:       event.NewPublisher(s.js, s.names),
		disp:         dispatch.New(s.nc, s.js, s.names, s.log),
	}
}

func (r *leaderRun) now() time.Time { return r.s.cfg.Clock.Now() }

// run loads state, follows the buckets and fires due slots until ctx ends
// or leading fails.
func (r *leaderRun) run(ctx context.Context) error {
	r.s.cfg.Metrics.setLeading(true)
	defer r.s.cfg.Metrics.setLeading(false)
	// Short lookups: during a NATS election a stream may not answer for a
	// while, and lead tries again sooner than the client's 5s default.
	bucket := func(name string) (jetstream.KeyValue, error) {
		bctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		kv, err := r.s.js.KeyValue(bctx, name)
		if err != nil {
			return nil, fmt.Errorf("bucket %s: %w", name, err)
		}
		return kv, nil
	}
	stateKV, err := bucket(r.s.names.StateBucket())
	if err != nil {
		return err
	}
	jobsKV, err := bucket(r.s.names.JobsBucket())
	if err != nil {
		return err
	}
	if r.pendKV, err = bucket(r.s.names.PendingBucket()); err != nil {
		return err
	}
	r.state = newStateStore(stateKV, r.lease.Term())
	if err := r.state.load(ctx); err != nil {
		return err
	}
	for name, e := range r.state.entries {
		if e.rt.Buffered != nil {
			r.bufferedJobs[name] = true
		}
	}
	watchCtx, cancel := context.WithCancel(ctx)
	defer r.bg.Wait()
	defer cancel()
	jobsCh, err := catalog.Watch(watchCtx, jobsKV, catalog.DecodeSpec)
	if err != nil {
		return err
	}
	pendCh, err := catalog.Watch(watchCtx, r.pendKV, catalog.DecodePending)
	if err != nil {
		return err
	}
	finals := r.watchFinals(watchCtx)
	if err := r.watchMaxDeliveries(watchCtx); err != nil {
		return err
	}

	defer func() {
		if r.flushing != nil {
			_ = r.state.settle(<-r.flushed)
			r.flushing = nil
		}
		// Write what we know while the lease still holds; the next leader
		// starts from it. Not past events that are not stored yet.
		if r.state.pending() && r.lease.Valid() && len(r.queued) == 0 {
			fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), max(r.lease.Remaining(), time.Second))
			if err := r.state.flush(fctx, r.s.nc, r.s.js); err != nil {
				r.log.WarnContext(ctx, "final cursor flush failed", "error", err)
			}
			fcancel()
		}
	}()

	jobsSynced, pendSynced := false, false
	r.log.InfoContext(ctx, "leading: loading jobs")
	for {
		var timer <-chan time.Time
		var stopTimer func() bool
		if jobsSynced && pendSynced {
			t := r.s.cfg.Clock.NewTimer(max(r.nextWake().Sub(r.now()), 0))
			timer, stopTimer = t.C(), t.Stop
		}
		select {
		case <-ctx.Done():
			return nil
		case c, ok := <-jobsCh:
			if !ok {
				return errors.New("jobs watch ended")
			}
			if c.Synced {
				// No continue: once both watches are synced, this round
				// ticks, whatever the loaded state holds.
				jobsSynced = true
				r.log.InfoContext(ctx, "leading: jobs loaded", "jobs", len(r.jobs), "planned", r.plan.Len())
				break
			}
			if c.Key == "" && c.Err != nil {
				return c.Err
			}
			r.jobChanged(ctx, c)
		case c, ok := <-pendCh:
			if !ok {
				return errors.New("pending watch ended")
			}
			if c.Synced {
				pendSynced = true
				break
			}
			if c.Key == "" && c.Err != nil {
				return c.Err
			}
			r.pendingChanged(ctx, c)
		case name := <-finals:
			if r.bufferedJobs[name] {
				r.offerBuffered = append(r.offerBuffered, name)
			}
		case b := <-r.flushed:
			r.flushing = nil
			if err := r.state.settle(b); err != nil {
				if errors.Is(err, errStale) {
					return err
				}
				// A stream electing its leader, a node restarting: the
				// entries are dirty again and the next flush writes them
				// (revision checks make a write whose answer was lost
				// harmless). Ending the loop would reload everything for
				// nothing.
				r.log.WarnContext(ctx, "cursor flush failed; retrying", "error", err)
			}
		case <-timer:
		}
		if stopTimer != nil {
			stopTimer()
		}
		if jobsSynced && pendSynced {
			if !r.recovered {
				if err := r.recoverTail(ctx); err != nil {
					return fmt.Errorf("read what the previous leader did last: %w", err)
				}
				r.recovered = true
				for _, name := range r.loadedDisabled {
					if ji := r.jobs[name]; ji != nil && ji.spec.Disabled {
						r.accountChange(nil, ji.spec)
					}
				}
				r.loadedDisabled = nil
			}
			if err := r.tick(ctx, ""); err != nil {
				return err
			}
		}
	}
}

// idleWake bounds how long the loop sleeps with nothing due: a round that
// finds nothing to do costs nothing, and a state that some future change
// forgets to give a wake-up time is acted on within it instead of never.
const idleWake = 30 * time.Second

// eventRetry is how often events the stream did not take are offered again
// while nothing else wakes the loop.
const eventRetry = time.Second

// nextWake is the earliest time something is due. Every piece of state the
// loop holds that asks for action must give a time here — due slots,
// pending runs, delayed runs, dirty cursors, events not stored yet — or
// the loop sleeps through it: at a takeover, a delayed run loaded from the
// state bucket once had no retry time yet, its zero time was taken for "no
// wake-up", and the leader fired nothing for any job until something else
// woke it (the restart wedge). A zero time therefore means "now".
func (r *leaderRun) nextWake() time.Time {
	w := wake{t: r.now().Add(idleWake)}
	if t, ok := r.plan.NextDue(); ok {
		w.at(t)
	}
	if len(r.pending) > 0 {
		w.at(r.pending[0].p.At)
	}
	if r.state.pending() && r.flushing == nil {
		w.at(r.nextFlush)
	}
	if len(r.bufferedJobs) > 0 {
		w.at(r.nextBufferedRetry)
	}
	if len(r.queued) > 0 {
		w.at(r.nextEventRetry)
	}
	if len(r.offerBuffered) > 0 || len(r.purges) > 0 {
		w.at(time.Time{})
	}
	return w.t
}

// wake is the earliest of the times it is given; the zero time is the
// earliest of all.
type wake struct{ t time.Time }

func (w *wake) at(t time.Time) {
	if t.Before(w.t) {
		w.t = t
	}
}

// jobChanged applies a change of a job definition to the plan.
func (r *leaderRun) jobChanged(ctx context.Context, c catalog.Change[job.Spec]) {
	name := c.Key
	if c.Value == nil && c.Err == nil { // deleted
		if prev := r.jobs[name]; prev != nil {
			r.accountUnfired(name, prev.spec, r.now(), "no leader fired it before the job was deleted")
		}
		delete(r.jobs, name)
		delete(r.invalid, name)
		delete(r.bufferedJobs, name)
		r.plan.Remove(name)
		r.state.remove(name)
		return
	}
	if c.Err != nil {
		r.plan.Remove(name)
		delete(r.jobs, name)
		if r.invalid[name] != c.Revision {
			r.invalid[name] = c.Revision
			r.log.WarnContext(ctx, "skipping invalid job definition", "job", name, "revision", c.Revision, "error", c.Err)
			jobName := name
			if job.ValidateName(jobName) != nil {
				jobName = "_invalid"
			}
			r.emit(event.Event{Kind: event.JobInvalid, Job: jobName, Time: r.now(), Revision: c.Revision, Reason: fmt.Sprintf("definition under key %q: %v", name, c.Err), Attempt: int(c.Revision % 1_000_000_000)})
		}
		return
	}
	delete(r.invalid, name)
	spec := *c.Value
	prev := r.jobs[name]
	if r.recovered {
		r.accountChange(prev, spec)
	} else if spec.Disabled {
		// At a takeover: once the tail is read (recoverTail), the cursor
		// says what the previous leader fired.
		r.loadedDisabled = append(r.loadedDisabled, name)
	}
	r.jobs[name] = &jobInfo{spec: spec, revision: c.Revision}
	st := r.state.get(name)
	if prev != nil && scheduleChanged(prev.spec, spec) && st.rt.Completed {
		st.rt.Completed = false
		r.state.markDirty(name)
	}
	r.replan(name)
}

func scheduleChanged(a, b job.Spec) bool {
	return a.Schedule.String() != b.Schedule.String() || a.Completions != b.Completions ||
		!a.EnabledAt.Equal(b.EnabledAt)
}

// replan (re)inserts a job into the plan from its definition and state.
func (r *leaderRun) replan(name string) {
	ji := r.jobs[name]
	if ji == nil {
		r.plan.Remove(name)
		return
	}
	spec := ji.spec
	st := r.state.get(name)
	if spec.Disabled || st.rt.Completed {
		r.plan.Remove(name)
		return
	}
	sched, err := spec.Schedule.Compile()
	if err != nil {
		r.plan.Remove(name)
		return
	}
	remaining := int64(-1)
	if spec.Completions > 0 {
		remaining = max(int64(spec.Completions)-st.rt.Fired, 0)
	}
	cursor := st.rt.LastSlot
	if cur, ok := r.plan.Get(name); ok && cur.Cursor.After(cursor) {
		cursor = cur.Cursor
	}
	notBefore := spec.EnabledAt
	if notBefore.IsZero() {
		notBefore = spec.CreatedAt
	}
	ok := r.plan.Upsert(plan.Entry{
		Job:       name,
		Schedule:  sched,
		Jitter:    jitterOf(name, spec.Jitter.D()),
		Window:    spec.CatchUp.Window.D(),
		Latest:    spec.CatchUp.Policy == job.CatchUpLatest,
		Cursor:    cursor,
		NotBefore: notBefore,
		Remaining: remaining,
	})
	if !ok {
		r.complete(name)
	}
	r.s.cfg.Metrics.planned(r.plan.Len())
}

// jitterOf is a job's fixed jitter offset in [0, max): the same on every
// replica and every run, different between jobs.
func jitterOf(name string, max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(name))
	return time.Duration(h.Sum64()%uint64(max/time.Millisecond)) * time.Millisecond
}

func (r *leaderRun) complete(name string) {
	st := r.state.get(name)
	if st.rt.Completed {
		return
	}
	st.rt.Completed = true
	st.rt.CompletedAt = r.now().UTC()
	r.state.markDirty(name)
	r.emit(event.Event{Kind: event.JobCompleted, Job: name, Time: r.now(), Reason: fmt.Sprintf("fired %d times; no further slot", st.rt.Fired)})
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

// setBuffered records (or clears, with nil) a job's delayed run.
func (r *leaderRun) setBuffered(name string, p *job.Pending) {
	st := r.state.get(name)
	st.rt.Buffered = p
	r.state.markDirty(name)
	if p == nil {
		delete(r.bufferedJobs, name)
	} else {
		r.bufferedJobs[name] = true
	}
}

// watchFinals sends the job of every execution that ends, so a delayed run
// is offered at once instead of at the next retry.
func (r *leaderRun) watchFinals(ctx context.Context) <-chan string {
	out := make(chan string, 1024)
	go func() {
		defer close(out)
		reader := event.NewReader(r.s.nc, r.s.js, r.s.names)
		for e, err := range reader.Watch(ctx, event.WatchOptions{}) {
			if err != nil {
				return
			}
			if !e.Kind.Final() {
				continue
			}
			select {
			case out <- e.Job:
			default:
			}
		}
	}()
	return out
}

// emit queues an event; awaitEvents stores the queued events together
// (tick calls it at the end of every round, emit when a thousand wait).
func (r *leaderRun) emit(e event.Event) {
	m, err := r.events.Msg(e)
	if err != nil {
		r.log.Warn("event not recorded", "kind", e.Kind, "job", e.Job, "error", err)
		return
	}
	r.queued = append(r.queued, queuedEvent{m: m, e: e})
	// Every thousand new events; not at every emit while events the stream
	// would not take (a NATS outage) stay queued.
	if len(r.queued)%streamio.MaxAtomicBatch == 0 {
		r.awaitEvents(context.Background())
	}
}

// awaitEvents stores every queued event (atomic batches, one by one for a
// batch the stream refuses, for example because one event of it is
// already stored); an event that still fails is published again on its
// own, with the same message ID, before it is given up.
func (r *leaderRun) awaitEvents(ctx context.Context) {
	if len(r.queued) == 0 {
		return
	}
	msgs := make([]*nats.Msg, len(r.queued))
	for i, q := range r.queued {
		msgs[i] = q.m
	}
	acks := streamio.PublishAll(ctx, r.s.nc, r.s.js, msgs)
	var left []queuedEvent
	for i, a := range acks {
		if a.Err == nil {
			continue
		}
		if len(left) > 0 { // the stream did not take the last one either
			left = append(left, r.queued[i])
			continue
		}
		e := r.queued[i].e
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if _, err := r.events.Publish(pctx, e); err != nil {
			// Kept for the next round (same message ID): the cursors are
			// not flushed past it meanwhile, so if this leader ends first,
			// the next one fires the slot again (a duplicate the stream
			// drops) and records the event then.
			r.log.WarnContext(ctx, "event not stored yet; will retry", "kind", e.Kind, "job", e.Job, "execution_id", e.Execution, "error", a.Err, "retry_error", err)
			left = append(left, r.queued[i])
		}
		cancel()
	}
	r.queued = append(r.queued[:0], left...)
}

// pendingItem is a pending run in the leader's heap.
type pendingItem struct {
	p     job.Pending
	rev   uint64
	index int
}

type pendingHeap []*pendingItem

func (h pendingHeap) Len() int           { return len(h) }
func (h pendingHeap) Less(i, j int) bool { return h[i].p.At.Before(h[j].p.At) }
func (h pendingHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *pendingHeap) Push(x any) {
	it := x.(*pendingItem)
	it.index = len(*h)
	*h = append(*h, it)
}
func (h *pendingHeap) Pop() any {
	old := *h
	n := len(old)
	it := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return it
}

// pendingChanged applies a change of the pending bucket.
func (r *leaderRun) pendingChanged(ctx context.Context, c catalog.Change[job.Pending]) {
	if it, ok := r.pendIdx[c.Key]; ok {
		heap.Remove(&r.pending, it.index)
		delete(r.pendIdx, c.Key)
	}
	if c.Err != nil {
		r.log.WarnContext(ctx, "dropping invalid pending run", "key", c.Key, "error", c.Err)
		_ = r.pendKV.Purge(ctx, c.Key)
		return
	}
	if c.Value == nil {
		// The key of a delayed manual or enqueued run removed by a cancel
		// request: the run is dropped. (The leader removes the key of a
		// delayed run it published only after it stopped holding it.)
		r.dropDelayed(c.Key, func(b *job.Pending) bool { return b.Stored })
		return
	}
	if reason := c.Value.Cancel; reason != "" {
		if r.dropDelayed(c.Key, nil) {
			p := c.Value
			r.emit(event.Event{Kind: event.Cancelled, Job: p.Job, Execution: p.ID, Time: r.now(), Reason: reason, Error: reason})
		} else {
			r.log.InfoContext(ctx, "cancel request for a run that is no longer delayed", "execution_id", c.Key)
		}
		r.purges = append(r.purges, c.Key) // once the event is stored
		return
	}
	it := &pendingItem{p: *c.Value, rev: c.Revision}
	heap.Push(&r.pending, it)
	r.pendIdx[c.Key] = it
}

// accountChange records as missed the slots the previous definition of a
// job owed and no leader fired before spec replaced it — the job was
// disabled, or its schedule changed (a new schedule owes nothing before
// it) — so that no slot is left without a record. At a takeover the
// previous definition is not known: a disabled job accounts for its slots
// up to its disabling with the definition it has.
func (r *leaderRun) accountChange(prev *jobInfo, spec job.Spec) {
	until := minTime(spec.UpdatedAt, r.now())
	switch {
	case prev == nil && spec.Disabled:
		r.accountUnfired(spec.Name, spec, until, "no leader fired it before the job was disabled")
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
	cursor := st.rt.LastSlot
	if cur, ok := r.plan.Get(name); ok && cur.Cursor.After(cursor) {
		cursor = cur.Cursor
	}
	notBefore := owed.EnabledAt
	if notBefore.IsZero() {
		notBefore = owed.CreatedAt
	}
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
