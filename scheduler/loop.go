package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/leader"
	"github.com/jetcron/jetcron/scheduler/internal/catalog"
	"github.com/jetcron/jetcron/scheduler/internal/dispatch"
	"github.com/jetcron/jetcron/scheduler/internal/plan"
)

// leaderRun is one term of leadership: the loop (run) and what it owns,
// grouped by duty, each in its own file.
type leaderRun struct {
	s     *Scheduler
	lease *leader.Lease
	log   *slog.Logger
	// bg tracks goroutines the run started; run waits for them.
	bg sync.WaitGroup

	// jobs are the definitions the leader knows (jobs.go).
	jobs knownJobs
	// view says whether they are known to be current (jobsview.go).
	view jobsView
	// plan holds every job's next fire time (jobs.go replans, fire.go
	// fires what is due).
	plan *plan.Plan
	// disp publishes work items (fire.go).
	disp *dispatch.Dispatcher
	// state is every job's runtime state (state.go); flush writes it in
	// the background (flush.go).
	state *stateStore
	flush cursorFlush
	// pending are the manual, enqueued and follow-up runs (pending.go).
	pending pendingRuns
	// delayed are the delayed runs of overlap delay (delayed.go).
	delayed delayedRuns
	// conc are the concurrency keys' and queue caps' holders (concurrency.go).
	conc concurrency
	// events are the events waiting to be stored (events.go).
	events eventQueue
	// cals are the exclusion calendars (calendar.go).
	cals calendars
	// retained are the jobs whose retention deletes executions (prune.go).
	retained retainedJobs
	// recovered is set once the tail of the streams is read (recover.go);
	// the jobs loaded before have their unfired slots accounted for then.
	recovered bool
	// claims is the claims bucket, opened on first use (skip.go).
	claims jetstream.KeyValue
}

func newLeaderRun(s *Scheduler, l *leader.Lease) *leaderRun {
	return &leaderRun{
		s:     s,
		lease: l,
		log:   s.log.With("term", l.Term()),

		jobs:    knownJobs{byName: map[string]*known{}, invalid: map[string]uint64{}, defs: s.defs},
		view:    jobsView{results: make(chan viewCheck, 1)},
		plan:    plan.New(),
		disp:    dispatch.New(s.nc, s.js, s.names, s.log),
		flush:   cursorFlush{done: make(chan *flushBatch, 1)},
		pending: pendingRuns{byID: map[string]*pendingItem{}},
		delayed: delayedRuns{jobs: map[string]bool{}},
		events:  eventQueue{pub: event.NewPublisher(s.js, s.names)},
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
	if r.jobs.kv, err = bucket(r.s.names.JobsBucket()); err != nil {
		return err
	}
	r.presize(ctx)
	if r.pending.kv, err = bucket(r.s.names.PendingBucket()); err != nil {
		return err
	}
	r.state = newStateStore(stateKV, r.lease.Term())
	if err := r.state.load(ctx); err != nil {
		return err
	}
	r.loadDelayed()
	watchCtx, cancel := context.WithCancel(ctx)
	defer r.bg.Wait()
	defer cancel()
	jobsCh, err := catalog.WatchEntries(watchCtx, r.jobs.kv, r.jobs.defs.Decode)
	if err != nil {
		return err
	}
	pendCh, err := catalog.Watch(watchCtx, r.pending.kv, catalog.DecodePending)
	if err != nil {
		return err
	}
	if err := r.watchCalendars(watchCtx); err != nil {
		return err
	}
	finals := r.watchFinals(watchCtx)
	if err := r.watchMaxDeliveries(watchCtx); err != nil {
		return err
	}
	if err := r.watchQueueCaps(watchCtx); err != nil {
		return err
	}
	r.startBackfills(watchCtx)
	r.startPruning(watchCtx)

	defer r.finalFlush(ctx)

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
				r.log.InfoContext(ctx, "leading: jobs loaded", "jobs", len(r.jobs.byName), "planned", r.plan.Len())
				break
			}
			if c.Key == "" && c.Err != nil {
				return c.Err
			}
			r.jobChanged(ctx, c)
			r.view.delivered(c.Revision, r.now())
		case c := <-r.view.results:
			r.viewChecked(ctx, c)
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
		case f := <-finals:
			r.executionEnded(f.job, f.execution)
		case b := <-r.flush.done:
			if err := r.settleFlush(ctx, b); err != nil {
				return err
			}
		case <-timer:
		}
		if stopTimer != nil {
			stopTimer()
		}
		if jobsSynced && pendSynced {
			if !r.recovered {
				if err := r.takeOver(ctx); err != nil {
					return err
				}
			}
			if err := r.tick(ctx); err != nil {
				return err
			}
		}
	}
}
