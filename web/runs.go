package web

import (
	"context"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
)

// recentRuns is how many of a job's newest executions its summary covers.
const recentRuns = 50

// RunBrief is one execution in a job's summary.
type RunBrief struct {
	ID          string    `json:"id"`
	State       job.State `json:"state"`
	ScheduledAt time.Time `json:"scheduled_at,omitzero"`
}

// RunsSummary sums up a job's last 50 executions.
type RunsSummary struct {
	// Last is the newest execution.
	Last *RunBrief `json:"last,omitempty"`
	// Recent lists the last 50 executions, newest first.
	Recent []RunBrief `json:"recent"`
	// Ended counts the recent runs that ended succeeded, failed, timed out
	// or cancelled (skipped and missed slots did not run); Succeeded counts
	// those that succeeded.
	Ended     int `json:"ended"`
	Succeeded int `json:"succeeded"`
	// SuccessRate is Succeeded/Ended, absent while no run ended.
	SuccessRate *float64 `json:"success_rate,omitempty"`
}

type runList = []job.Execution

// runCache keeps the recent runs of the jobs someone asked about: loaded
// once per job from the events stream, then kept current by the hub's
// events (apply). Events that arrive while a job loads are buffered and
// applied after the load, so none is lost between the two.
type runCache struct {
	load func(ctx context.Context, job string) (runList, error)

	mu   sync.Mutex // guards jobs and every jobRuns in it
	jobs map[string]*jobRuns
}

type jobRuns struct {
	ready    chan struct{} // closed when the load ended
	err      error         // the load's error
	loaded   bool
	runs     []RunBrief    // newest first, at most recentRuns
	buffered []event.Event // events that arrived during the load
}

func newRunCache(load func(ctx context.Context, job string) (runList, error)) *runCache {
	return &runCache{load: load, jobs: map[string]*jobRuns{}}
}

// summaries returns the summary of each named job, loading those not
// cached yet (a few at a time).
func (c *runCache) summaries(ctx context.Context, names []string) (map[string]RunsSummary, error) {
	out := make(map[string]RunsSummary, len(names))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, name := range names {
		g.Go(func() error {
			s, err := c.summary(gctx, name)
			if err != nil {
				return err
			}
			mu.Lock()
			out[name] = s
			mu.Unlock()
			return nil
		})
	}
	return out, g.Wait()
}

// summary returns one job's summary, loading it on first use.
func (c *runCache) summary(ctx context.Context, name string) (RunsSummary, error) {
	c.mu.Lock()
	jr, ok := c.jobs[name]
	if !ok {
		jr = &jobRuns{ready: make(chan struct{})}
		c.jobs[name] = jr
	}
	c.mu.Unlock()
	if !ok {
		xs, err := c.load(ctx, name)
		c.mu.Lock()
		if err != nil {
			jr.err = err
			delete(c.jobs, name) // the next request tries again
		} else {
			jr.runs = make([]RunBrief, 0, len(xs))
			for _, x := range xs {
				jr.runs = append(jr.runs, RunBrief{ID: x.ID, State: x.State, ScheduledAt: x.ScheduledAt})
			}
			for _, e := range jr.buffered {
				jr.apply(e)
			}
			jr.buffered, jr.loaded = nil, true
		}
		close(jr.ready)
		c.mu.Unlock()
	}
	select {
	case <-jr.ready:
	case <-ctx.Done():
		return RunsSummary{}, ctx.Err()
	}
	if jr.err != nil {
		return RunsSummary{}, jr.err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return jr.summary(), nil
}

// apply records an event of the events stream.
func (c *runCache) apply(e event.Event) {
	if e.Execution == "" || e.Kind.State() == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	jr := c.jobs[e.Job]
	switch {
	case jr == nil:
		// Not cached: a later load reads it from the stream.
	case !jr.loaded:
		jr.buffered = append(jr.buffered, e)
	default:
		jr.apply(e)
	}
}

// keep forgets the jobs not in names (deleted definitions).
func (c *runCache) keep(names []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, jr := range c.jobs {
		if jr.loaded && !slices.Contains(names, name) {
			delete(c.jobs, name)
		}
	}
}

// reset forgets everything (the hub may have missed events).
func (c *runCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, jr := range c.jobs {
		if jr.loaded {
			delete(c.jobs, name)
		}
	}
}

// opens reports whether an event kind can be the first of an execution.
func opens(k event.Kind) bool {
	switch k {
	case event.Scheduled, event.Delayed, event.Skipped, event.Missed, event.Cancelled, event.Rejected:
		return true
	}
	return false
}

func (jr *jobRuns) apply(e event.Event) {
	state := e.Kind.State()
	for i := range jr.runs {
		r := &jr.runs[i]
		if r.ID != e.Execution {
			continue
		}
		// A final state stays; a scheduled or delayed event may come after
		// the execution started (the leader records a slot once the work
		// stream holds it, a worker may have taken it by then) and does not
		// take it back to scheduled.
		if !r.State.Final() && state != job.StateScheduled {
			r.State = state
		}
		if r.ScheduledAt.IsZero() && e.ScheduledAt != nil {
			r.ScheduledAt = *e.ScheduledAt
		}
		return
	}
	// An unknown execution is new, unless the list is full and the event
	// is a later one of an execution older than the list.
	if len(jr.runs) >= recentRuns && !opens(e.Kind) {
		return
	}
	r := RunBrief{ID: e.Execution, State: state}
	if e.ScheduledAt != nil {
		r.ScheduledAt = *e.ScheduledAt
	}
	jr.runs = slices.Insert(jr.runs, 0, r)
	if len(jr.runs) > recentRuns {
		jr.runs = jr.runs[:recentRuns]
	}
}

func (jr *jobRuns) summary() RunsSummary {
	s := RunsSummary{Recent: slices.Clone(jr.runs)}
	if len(jr.runs) > 0 {
		last := jr.runs[0]
		s.Last = &last
	}
	for _, r := range jr.runs {
		switch r.State {
		case job.StateSucceeded:
			s.Succeeded++
			s.Ended++
		case job.StateFailed, job.StateTimedOut, job.StateCancelled:
			s.Ended++
		}
	}
	if s.Ended > 0 {
		rate := float64(s.Succeeded) / float64(s.Ended)
		s.SuccessRate = &rate
	}
	return s
}
