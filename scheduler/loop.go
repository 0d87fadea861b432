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
