package client

import (
	"context"
	"iter"
	"strconv"
	"time"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
)

// ListOptions selects a page of executions.
type ListOptions = event.ListOptions

// Executions returns a page of executions, newest first, and the cursor of
// the next page (0: none).
func (c *Client) Executions(ctx context.Context, o ListOptions) ([]job.Execution, uint64, error) {
	xs, next, err := c.reader.List(ctx, o)
	if err != nil {
		return nil, 0, err
	}
	if workers, err := c.Workers(ctx); err == nil {
		for i := range xs {
			refine(&xs[i], workers, time.Now())
		}
	}
	return xs, next, nil
}

// Execution returns one execution.
func (c *Client) Execution(ctx context.Context, id string) (job.Execution, error) {
	x, err := c.reader.Get(ctx, id)
	if err != nil {
		return x, err
	}
	if x.State == job.StateRunning {
		if workers, err := c.Workers(ctx); err == nil {
			refine(&x, workers, time.Now())
		}
	}
	return x, nil
}

// Events returns every event of one execution.
func (c *Client) Events(ctx context.Context, id string) ([]event.Event, error) {
	return c.reader.Events(ctx, id)
}

// Watch follows events as they happen.
func (c *Client) Watch(ctx context.Context, o event.WatchOptions) iter.Seq2[event.Event, error] {
	return c.reader.Watch(ctx, o)
}

// lostAfter is how long a "started" execution may be missing from its
// worker's presence record before it counts as lost with its worker.
const lostAfter = 20 * time.Second

// refine corrects "running" from the workers' presence: an attempt whose
// worker is gone (or no longer lists it) is not running — it waits for
// redelivery to another worker. So "running" never outlives its worker.
func refine(x *job.Execution, workers []job.WorkerInfo, now time.Time) {
	if x.State != job.StateRunning || x.StartedAt == nil {
		return
	}
	for i := range workers {
		w := &workers[i]
		if w.ID != x.Worker {
			continue
		}
		if w.Runs(x.ID) || !w.HeartbeatAt.After(x.StartedAt.Add(time.Second)) {
			return
		}
	}
	if now.Sub(*x.StartedAt) < lostAfter {
		return
	}
	x.State = job.StateRetrying
	x.Notes = append(x.Notes, "attempt "+strconv.Itoa(x.Attempt)+" was lost with worker "+x.Worker+"; waiting for redelivery")
}
