package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/jetcron/jetcron/pkg/claim"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/streamio"
)

// cancelOthers cancels the executions of w's job on the work stream other
// than w itself (overlap replace; see overlap.go).
func (r *leaderRun) cancelOthers(ctx context.Context, w *job.Work) {
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

func (r *leaderRun) cancelForReplace(ctx context.Context, old job.Work, seq uint64, by string) {
	reason := event.ReplacedReason(by)
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
		r.askCancel(ctx, old, seq, reason)
		return
	}
	// Never delivered: claim it as cancelled before removing it. A worker
	// that takes the message meanwhile (the chaos suite saw one between the
	// check and the removal, which then ran it after it was recorded
	// cancelled) finds the claim finished and records the same event
	// instead of running it; a worker that claimed it first holds the
	// claim, and is asked to cancel it.
	kv, err := r.s.js.KeyValue(ctx, r.s.names.ClaimsBucket())
	var got claim.CancelOutcome
	if err == nil {
		got, _, err = claim.Cancel(ctx, kv, old.ID, seq, 1, "scheduler "+r.s.cfg.ID, r.now(), 0)
	}
	if err != nil {
		r.log.WarnContext(ctx, "replace: cannot claim the waiting execution", "execution_id", old.ID, "error", err)
		return
	}
	switch got {
	case claim.Held:
		r.askCancel(ctx, old, seq, reason)
		return
	case claim.Over:
		return // it ended meanwhile
	}
	stream, err := r.s.js.Stream(ctx, r.s.names.WorkStream())
	if err == nil {
		err = stream.DeleteMsg(ctx, seq)
	}
	if err != nil {
		r.log.WarnContext(ctx, "replace: cannot remove waiting execution (its claim stops it)", "execution_id", old.ID, "error", err)
	}
	// The worker's record of a finished claim is this event (one message
	// ID: the first attempt's cancel).
	r.emit(event.Event{Kind: event.Cancelled, Job: old.Job, Execution: old.ID, Time: r.now(), Attempt: 1, Reason: reason, Error: reason})
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
// no worker answered for, until a worker answers, its message is gone, or
// two ack waits pass.
func (r *leaderRun) askCancel(ctx context.Context, old job.Work, seq uint64, reason string) {
	r.bg.Add(1)
	go func() {
		defer r.bg.Done()
		deadline := r.now().Add(2*r.s.cfg.Topology.AckWait + 5*time.Second)
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
			msgs, err := streamio.DirectBatch(ctx, r.s.nc, streamio.DirectRequest{Stream: r.s.names.WorkStream(), Seq: seq, Batch: 1})
			if err == nil && (len(msgs) == 0 || msgs[0].Seq != seq) {
				return // ended meanwhile
			}
		}
		r.log.WarnContext(ctx, "replace: no worker answered the cancel of an execution", "execution_id", old.ID)
	}()
}
