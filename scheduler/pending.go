package scheduler

import (
	"container/heap"
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/scheduler/internal/catalog"
)

// pendingRuns are the manual, enqueued and follow-up runs the API wrote
// to the pending bucket, by due time; a run's key is removed once it is
// published (after the round's events are stored) or rejected.
type pendingRuns struct {
	kv   jetstream.KeyValue
	heap pendingHeap
	byID map[string]*pendingItem
	// purges are pending keys to remove once the round's events are stored.
	purges []string
	// afterFlush are the keys of cancel requests whose delayed run was
	// dropped: they go once a cursor flush has stored the state without
	// the run (flushBatch.purges). Removed sooner, a term that ended
	// before its flush left the run in the state, and the next leader,
	// finding no request, published it.
	afterFlush []string
}

func (q *pendingRuns) push(it *pendingItem) {
	heap.Push(&q.heap, it)
	q.byID[it.p.ID] = it
}

// remove removes the run with execution ID id, reporting whether it was
// there.
func (q *pendingRuns) remove(id string) bool {
	it, ok := q.byID[id]
	if ok {
		heap.Remove(&q.heap, it.index)
		delete(q.byID, id)
	}
	return ok
}

// popDue removes and returns the earliest run if it is due at now.
func (q *pendingRuns) popDue(now time.Time) (*pendingItem, bool) {
	if len(q.heap) == 0 || q.heap[0].p.At.After(now) {
		return nil, false
	}
	it := heap.Pop(&q.heap).(*pendingItem)
	delete(q.byID, it.p.ID)
	return it, true
}

// next is when the earliest run is due.
func (q *pendingRuns) next() (time.Time, bool) {
	if len(q.heap) == 0 {
		return time.Time{}, false
	}
	return q.heap[0].p.At, true
}

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
	r.pending.remove(c.Key)
	if c.Err != nil {
		r.log.WarnContext(ctx, "dropping invalid pending run", "key", c.Key, "error", c.Err)
		_ = r.pending.kv.Purge(ctx, c.Key)
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
			r.emitFirst(event.Event{Kind: event.Cancelled, Job: p.Job, Execution: p.ID, Time: r.now(), Reason: reason, Error: reason})
			r.pending.afterFlush = append(r.pending.afterFlush, c.Key) // once the state without the run is stored
			return
		}
		r.log.InfoContext(ctx, "cancel request for a run that is no longer delayed", "execution_id", c.Key)
		r.pending.purges = append(r.pending.purges, c.Key) // once the round's events are stored
		return
	}
	r.pending.push(&pendingItem{p: *c.Value, rev: c.Revision})
}

// purgePending removes a published pending run's key — after the events of
// the round are stored (see tick), so that a reader never finds the run in
// neither place.
func (r *leaderRun) purgePending(_ context.Context, it *pendingItem) {
	r.pending.purges = append(r.pending.purges, it.p.ID)
}

func (r *leaderRun) flushPurges(ctx context.Context) {
	for _, id := range r.pending.purges {
		r.purgeKey(ctx, id)
	}
	r.pending.purges = r.pending.purges[:0]
}

func (r *leaderRun) purgeKey(ctx context.Context, id string) {
	if err := r.pending.kv.Purge(ctx, id); err != nil {
		r.log.WarnContext(ctx, "could not remove a published pending run; it will be deduplicated", "execution_id", id, "error", err)
	}
}

// unknownJobGrace is how long a pending run of a job the leader does not
// know waits for the job's definition before it is rejected.
const unknownJobGrace = 10 * time.Second

// duePending adds to b the pending runs due now, up to twice MaxBatch
// items in all; a run of a job the leader does not know is rejected.
func (r *leaderRun) duePending(ctx context.Context, b *batch, now time.Time) {
	for len(b.items) < r.s.cfg.MaxBatch*2 {
		it, ok := r.pending.popDue(now)
		if !ok {
			break
		}
		ji := r.jobs.def(it.p.Job)
		if ji == nil && now.Sub(it.p.CreatedAt) < unknownJobGrace {
			// The API checked the job before it wrote the run, but the
			// leader's watch of the jobs bucket may not have delivered a job
			// created a moment ago (the two buckets' watches are not
			// ordered): look again shortly.
			it.p.At = now.Add(250 * time.Millisecond)
			r.pending.push(it)
			continue
		}
		if ji == nil {
			r.emit(event.Event{Kind: event.Rejected, Job: it.p.Job, Execution: it.p.ID, Time: now, Trigger: it.p.Trigger, ParentID: it.p.ParentID, Reason: "job " + it.p.Job + " does not exist"})
			r.purgePending(ctx, it)
			continue
		}
		slot := it.p.Slot
		if slot.IsZero() {
			slot = it.p.At
		}
		b.add(r.item(ji, it.p.ID, slot, it.p.Trigger, it.p.Params, it.p.ParentID, it.p.Force), origin{kind: fromPending, pending: it, job: it.p.Job})
	}
}
