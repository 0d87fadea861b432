package scheduler

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/retention"
)

// Per-job retention of executions (job.Retention): while it leads, the
// scheduler deletes, every PruneInterval, the events of the finished
// executions each job's retention lets go, each execution whole, and
// appends a job_pruned event naming how many and the range of their slots
// (package retention). What is kept stays append-only: a purge removes
// every event of an execution or none, and only the leader's user may
// purge the events stream (deploy/nats/accounts.conf).

// DefaultPruneInterval is how often the leader prunes.
const DefaultPruneInterval = 5 * time.Minute

// retainedJobs are the jobs whose retention deletes executions, with what
// pruning needs of each (a whole Spec each was about 770 bytes held per
// job: a million jobs made from a template that keeps their last runs
// held 0.75 GB more), and whether each needs pruning. A round prunes only
// the jobs that ended an execution since their last prune (the final
// events the leader follows, touch), whose definition changed, or whose
// kept executions have come to their limit by age (retention.Next): it
// read every such job's events each round, a million reads every five
// minutes for a million jobs that keep their runs, most of them for
// nothing. Every fullRound-th round still prunes every job, in case the
// watch of final events stopped without a word. The loop writes it
// (jobChanged, the finals' watch); the pruning reads a copy.
type retainedJobs struct {
	mu   sync.Mutex
	jobs map[string]retained
	// every prunes each job every round: the final events are not
	// followed (the watch could not start).
	every bool
}

// retained is what pruning reads of a job's definition, and when it needs
// pruning again.
type retained struct {
	retention   job.Retention
	completions int
	changes     uint64    // touches so far: a final, a new definition
	pruned      uint64    // changes at the last prune
	next        time.Time // a kept execution may go then (zero: none)
}

// due is one job a round prunes: the definition pruning reads, and the
// changes it prunes up to.
type due struct {
	spec    job.Spec
	changes uint64
}

func (rj *retainedJobs) set(name string, r *job.Retention, completions int) {
	rj.mu.Lock()
	defer rj.mu.Unlock()
	if !r.LimitsExecutions() {
		delete(rj.jobs, name)
		return
	}
	if rj.jobs == nil {
		rj.jobs = map[string]retained{}
	}
	j := rj.jobs[name]
	j.retention, j.completions = *r, completions
	j.changes++ // a new retention may let executions go
	rj.jobs[name] = j
}

// touch records that a job ended an execution.
func (rj *retainedJobs) touch(name string) {
	rj.mu.Lock()
	defer rj.mu.Unlock()
	if j, ok := rj.jobs[name]; ok {
		j.changes++
		rj.jobs[name] = j
	}
}

// followAll makes every round prune every job.
func (rj *retainedJobs) followAll() {
	rj.mu.Lock()
	defer rj.mu.Unlock()
	rj.every = true
}

func (rj *retainedJobs) remove(name string) {
	rj.mu.Lock()
	defer rj.mu.Unlock()
	delete(rj.jobs, name)
}

// fullRound: every fullRound-th round prunes every job (an hour apart by
// default).
const fullRound = 12

// snapshot returns the jobs a round at now prunes: all of them, or those
// that may have an execution to let go.
func (rj *retainedJobs) snapshot(now time.Time, all bool) []due {
	rj.mu.Lock()
	defer rj.mu.Unlock()
	var out []due
	for name, j := range rj.jobs {
		if all || rj.every || j.changes != j.pruned || !j.next.IsZero() && !now.Before(j.next) {
			out = append(out, due{spec: job.Spec{Name: name, Retention: &j.retention, Completions: j.completions}, changes: j.changes})
		}
	}
	return out
}

// pruned records a job's prune up to changes: it needs another once it
// changes again, or at next.
func (rj *retainedJobs) pruned(name string, changes uint64, next time.Time) {
	rj.mu.Lock()
	defer rj.mu.Unlock()
	if j, ok := rj.jobs[name]; ok {
		j.pruned, j.next = changes, next
		rj.jobs[name] = j
	}
}

// startPruning prunes every PruneInterval until ctx ends.
func (r *leaderRun) startPruning(ctx context.Context) {
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		evs := &eventsStore{r: r, reader: event.NewReader(r.s.nc, r.s.js, r.s.names), pub: event.NewPublisher(r.s.js, r.s.names)}
		for round := 1; ; round++ {
			t := r.s.cfg.Clock.NewTimer(r.s.cfg.PruneInterval)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C():
			}
			jobs := r.retained.snapshot(r.now(), round%fullRound == 0)
			if len(jobs) == 0 {
				continue
			}
			// Checked before anything is recorded: a job_pruned record
			// of executions that then cannot be deleted would be false.
			if err := evs.open(ctx); errors.Is(err, errPurgeDenied) {
				if !evs.warned {
					evs.warned = true
					r.log.WarnContext(ctx, "per-job retention cannot delete executions: the events stream denies purges (it was made by a version before per-job retention; see docs/storage.md)",
						"stream", r.s.names.EventsStream())
				}
				continue
			} else if err != nil {
				r.log.WarnContext(ctx, "pruning: the events stream", "error", err)
				continue
			}
			for _, d := range jobs {
				if ctx.Err() != nil || !r.lease.Valid() {
					break
				}
				p, err := retention.PruneExecutions(ctx, evs, d.spec, r.now(), r.s.cfg.PruneFloor, false)
				if err != nil {
					r.log.WarnContext(ctx, "pruning a job's executions failed", "job", d.spec.Name, "deleted", len(p.Deleted), "error", err)
					continue // pruned again next round
				}
				r.retained.pruned(d.spec.Name, d.changes, p.Next)
				if len(p.Deleted) > 0 {
					r.log.InfoContext(ctx, "pruned executions by the job's retention", "job", d.spec.Name, "deleted", len(p.Deleted), "kept", p.Kept)
				}
			}
		}
	}()
}

// errPurgeDenied: the events stream was made with deny_purge.
var errPurgeDenied = errors.New("the events stream denies purges")

// eventsStore is the events stream as pruning uses it.
type eventsStore struct {
	r      *leaderRun
	reader *event.Reader
	pub    *event.Publisher
	stream jetstream.Stream
	warned bool
}

func (s *eventsStore) JobEventsSince(ctx context.Context, name string, since time.Time, limit int) ([]event.Event, error) {
	return s.reader.JobEventsSince(ctx, name, since, limit)
}

// open looks the events stream up once: it fails with errPurgeDenied
// while the stream denies purges.
func (s *eventsStore) open(ctx context.Context) error {
	if s.stream != nil {
		return nil
	}
	st, err := s.r.s.js.Stream(ctx, s.r.s.names.EventsStream())
	if err != nil {
		return err
	}
	if st.CachedInfo().Config.DenyPurge {
		return errPurgeDenied
	}
	s.stream = st
	return nil
}

func (s *eventsStore) PurgeExecution(ctx context.Context, name, id string) error {
	return s.stream.Purge(ctx, jetstream.WithPurgeSubject(s.r.s.names.ExecutionEventsFilter(name, id)))
}

func (s *eventsStore) Record(ctx context.Context, e event.Event) error {
	_, err := s.pub.Publish(ctx, e)
	return err
}
