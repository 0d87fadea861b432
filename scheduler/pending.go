package scheduler

import (
	"container/heap"
	"context"
	"time"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/scheduler/internal/catalog"
)

// pendingItem is a pending run in the leader's heap.
type pendingItem struct {
	p     job.Pending
	rev   uint64
	index int
}

type pendingHeap []*pendingItem

func (h pendingHeap) Len() int { return len(h) }

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

// purgePending removes a published pending run's key — after the events of
// the round are stored (see tick), so that a reader never finds the run in
// neither place.
func (r *leaderRun) purgePending(_ context.Context, it *pendingItem) {
	r.purges = append(r.purges, it.p.ID)
}

func (r *leaderRun) flushPurges(ctx context.Context) {
	for _, id := range r.purges {
		r.purgeKey(ctx, id)
	}
	r.purges = r.purges[:0]
}

func (r *leaderRun) purgeKey(ctx context.Context, id string) {
	if err := r.pendKV.Purge(ctx, id); err != nil {
		r.log.WarnContext(ctx, "could not remove a published pending run; it will be deduplicated", "execution_id", id, "error", err)
	}
}

// unknownJobGrace is how long a pending run of a job the leader does not
// know waits for the job's definition before it is rejected.
const unknownJobGrace = 10 * time.Second
