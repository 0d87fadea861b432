package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/scheduler/internal/dispatch"
)

// replaceRunning cancels the running executions of every replace-policy
// job among items before they are published.
func (r *leaderRun) replaceRunning(ctx context.Context, items []dispatch.Item) {
	done := map[string]bool{}
	for _, it := range items {
		w := &it.Work
		if w.Spec.Overlap != job.OverlapReplace || done[w.Job] {
			continue
		}
		done[w.Job] = true
		for _, filter := range r.s.names.WorkJobFilter(w.Spec.Queue, w.Job) {
			msgs, err := streamio.DirectBatch(ctx, r.s.nc, streamio.DirectRequest{Stream: r.s.names.WorkStream(), Filter: filter, Batch: 100})
			if err != nil {
				r.log.WarnContext(ctx, "replace: cannot list running executions", "job", w.Job, "error", err)
				continue
			}
			for _, m := range msgs {
				var old job.Work
				if json.Unmarshal(m.Data, &old) != nil || old.ID == w.ID {
					continue
				}
				r.cancelForReplace(ctx, old, m.Seq, w.ID)
			}
		}
	}
}

func (r *leaderRun) cancelForReplace(ctx context.Context, old job.Work, seq uint64, by string) {
	reason := "replaced by " + by + " (overlap replace)"
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := r.s.nc.RequestWithContext(cctx, r.s.names.CancelSubject(old.ID), []byte(reason))
	if err == nil {
		return // the worker running it cancels it and records the event
	}
	if !errors.Is(err, nats.ErrNoResponders) {
		r.log.WarnContext(ctx, "replace: cancel request failed", "execution_id", old.ID, "error", err)
		return
	}
	// Not running anywhere. If it was never delivered, it waits in the
	// stream: remove it. If it was, its worker was lost and it goes to
	// another worker once the ack wait ends: removing it then would race
	// that redelivery (the run going ahead after it was recorded
	// cancelled; found by the chaos suite), so the cancel is asked again
	// until a worker answers.
	delivered, err := r.delivered(ctx, old.Spec.Queue, seq)
	if err != nil {
		r.log.WarnContext(ctx, "replace: cannot tell whether the execution was delivered", "execution_id", old.ID, "error", err)
		return
	}
	if delivered {
		r.askCancel(ctx, old, seq, reason, 2*r.s.cfg.Topology.AckWait+5*time.Second, true)
		return
	}
	stream, err := r.s.js.Stream(ctx, r.s.names.WorkStream())
	if err == nil {
		err = stream.DeleteMsg(ctx, seq)
	}
	if err != nil {
		r.log.WarnContext(ctx, "replace: cannot remove waiting execution", "execution_id", old.ID, "error", err)
		return
	}
	// Recorded as its first attempt's cancel: if a worker took the message
	// between the check and the removal (the chaos suite saw it), the cancel
	// asked for below stops it and the worker's own record of it is the
	// same event (one message ID), not a second final one.
	r.emit(event.Event{Kind: event.Cancelled, Job: old.Job, Execution: old.ID, Time: r.now(), Attempt: 1, Reason: reason, Error: reason})
	r.askCancel(ctx, old, seq, reason, 3*time.Second, false)
}

// delivered reports whether the work message seq of a queue has been
// delivered to a worker.
func (r *leaderRun) delivered(ctx context.Context, queue string, seq uint64) (bool, error) {
	c, err := r.s.js.Consumer(ctx, r.s.names.WorkStream(), r.s.names.WorkConsumer(queue))
	if err != nil {
		return false, err
	}
	info, err := c.Info(ctx)
	if err != nil {
		return false, err
	}
	return seq <= info.Delivered.Stream, nil
}

// askCancel asks, in the background, for the cancel of an execution that
// no worker answered for, until a worker answers, or for d, or (untilGone)
// until its message is gone.
func (r *leaderRun) askCancel(ctx context.Context, old job.Work, seq uint64, reason string, d time.Duration, untilGone bool) {
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		deadline := r.now().Add(d)
		for first := true; r.now().Before(deadline) && ctx.Err() == nil; first = false {
			if !first {
				t := r.s.cfg.Clock.NewTimer(250 * time.Millisecond)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C():
				}
			}
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := r.s.nc.RequestWithContext(cctx, r.s.names.CancelSubject(old.ID), []byte(reason))
			cancel()
			if err == nil {
				return // the worker running it cancels it and records the event
			}
			if !untilGone {
				continue
			}
			msgs, err := streamio.DirectBatch(ctx, r.s.nc, streamio.DirectRequest{Stream: r.s.names.WorkStream(), Seq: seq, Batch: 1})
			if err == nil && (len(msgs) == 0 || msgs[0].Seq != seq) {
				return // ended meanwhile
			}
		}
		if untilGone {
			r.log.WarnContext(ctx, "replace: no worker answered the cancel of a lost execution", "execution_id", old.ID)
		}
	}()
}
