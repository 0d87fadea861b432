package scheduler

import (
	"context"
	"time"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
)

// bufferedRetry is how often a delayed run is offered to the broker again
// besides when an execution of its job ends.
const bufferedRetry = time.Second

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
