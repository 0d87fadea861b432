package scheduler

import (
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
	// the jobs loaded before have their unfired slots accounted for then.
	recovered bool
	// jobsKV is the jobs bucket (for a definition's earlier revisions).
	jobsKV jetstream.KeyValue
	events *event.Publisher
	disp   *dispatch.Dispatcher
	queued []queuedEvent

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
	r.jobsKV = jobsKV
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
				for name, ji := range r.jobs {
					if r.accountTakeover(ctx, ji) {
						r.replan(name)
					}
				}
				for name := range r.state.entries {
					if r.jobs[name] == nil {
						r.accountDeleted(ctx, name)
					}
				}
			}
			if err := r.tick(ctx, ""); err != nil {
				return err
			}
		}
	}
}

// jobChanged applies a change of a job definition to the plan.
func (r *leaderRun) jobChanged(ctx context.Context, c catalog.Change[job.Spec]) {
	name := c.Key
	if c.Value == nil && c.Err == nil { // deleted
		if !r.recovered && r.jobs[name] == nil {
			// Deleted before this takeover: its state stays until the tail
			// is read (accountDeleted).
			r.plan.Remove(name)
			return
		}
		if prev := r.jobs[name]; prev != nil {
			r.accountUnfired(name, prev.spec, r.now(), "no leader fired it before the job was deleted")
		}
		r.skipDelayed(name, "its job was deleted while it waited")
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
		// (At a takeover, once the tail is read, accountTakeover.)
		r.accountChange(prev, spec)
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
	cursor, notBefore := r.cursorOf(name), owedFrom(spec)
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

// cursorOf is a job's cursor: the newest slot accounted for, in its state
// or in the plan, whichever is newer.
func (r *leaderRun) cursorOf(name string) time.Time {
	cursor := r.state.get(name).rt.LastSlot
	if cur, ok := r.plan.Get(name); ok && cur.Cursor.After(cursor) {
		cursor = cur.Cursor
	}
	return cursor
}

// owedFrom is when a definition's slots start to be owed: its last enable
// (or schedule change), else its creation.
func owedFrom(spec job.Spec) time.Time {
	if spec.EnabledAt.IsZero() {
		return spec.CreatedAt
	}
	return spec.EnabledAt
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

// skipDelayed records a job's delayed run, if it has one, as skipped and
// drops it (its job is gone).
func (r *leaderRun) skipDelayed(name, why string) {
	st := r.state.entries[name]
	if st == nil || st.rt.Buffered == nil {
		return
	}
	b := st.rt.Buffered
	r.emit(event.Event{Kind: event.Skipped, Job: name, Execution: b.ID, Time: r.now(), ScheduledAt: event.Slot(b.Slot), Trigger: b.Trigger, Params: b.Params, ParentID: b.ParentID, Reason: why})
	if b.Stored {
		r.purges = append(r.purges, b.ID)
	}
	r.setBuffered(name, nil)
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
